import { describe, expect, it } from 'vitest';
import { decodeAgentMessage, encodeMessage, LineDecoder } from './codec.js';
import type { AgentMessage, HostMessage } from './messages.js';

const b = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Feeds every chunk and returns all lines produced, in order. */
function feed(decoder: LineDecoder, chunks: Buffer[]): (string | null)[] {
  return chunks.flatMap((chunk) => decoder.push(chunk));
}

function errorOf(line: string): string {
  const decoded = decodeAgentMessage(line);
  if (decoded.ok) throw new Error(`expected ${line} to be rejected`);
  return decoded.error;
}

describe('LineDecoder', () => {
  it('joins a line split across chunks', () => {
    const decoder = new LineDecoder(100);
    expect(decoder.push(b('{"type":'))).toEqual([]);
    expect(decoder.push(b('"pong",'))).toEqual([]);
    expect(decoder.push(b('"id":"a"}\n'))).toEqual(['{"type":"pong","id":"a"}']);
  });

  it('returns several lines from one chunk and keeps the unfinished tail', () => {
    const decoder = new LineDecoder(100);
    expect(decoder.push(b('one\ntwo\nthree\nfo'))).toEqual(['one', 'two', 'three']);
    expect(decoder.push(b('ur\n'))).toEqual(['four']);
  });

  it('returns empty lines for consecutive newlines', () => {
    const decoder = new LineDecoder(100);
    expect(decoder.push(b('a\n\nb\n'))).toEqual(['a', '', 'b']);
  });

  it('accepts a line of exactly maxLineBytes, split or not', () => {
    expect(new LineDecoder(5).push(b('12345\n'))).toEqual(['12345']);
    expect(feed(new LineDecoder(5), [b('123'), b('45'), b('\n')])).toEqual(['12345']);
  });

  it('reports an oversized line once as null and still decodes the next line', () => {
    const decoder = new LineDecoder(5);
    expect(decoder.push(b('123456\nok\n'))).toEqual([null, 'ok']);
    expect(decoder.push(b('next\n'))).toEqual(['next']);
  });

  it('reports a line that grows too long across chunks once, when it crosses the limit', () => {
    const decoder = new LineDecoder(5);
    expect(decoder.push(b('1234'))).toEqual([]);
    expect(decoder.push(b('56'))).toEqual([null]);
  });

  it('drops an oversized line until its newline arrives in a later chunk', () => {
    const decoder = new LineDecoder(5);
    expect(decoder.push(b('abcdefgh'))).toEqual([null]);
    expect(decoder.push(b('more bytes of the same line'))).toEqual([]);
    expect(decoder.push(b('still going'))).toEqual([]);
    expect(decoder.push(b('end\nfine\n'))).toEqual(['fine']);
    expect(decoder.push(b('again\n'))).toEqual(['again']);
  });

  it('reports an oversized pending line when its newline arrives', () => {
    const decoder = new LineDecoder(5);
    expect(decoder.push(b('123'))).toEqual([]);
    expect(decoder.push(b('456\nafter\n'))).toEqual([null, 'after']);
  });

  it('reports each of two consecutive oversized lines', () => {
    const decoder = new LineDecoder(3);
    expect(decoder.push(b('aaaa\nbbbb\ncc\n'))).toEqual([null, null, 'cc']);
  });

  it('decodes multi-byte UTF-8 split across chunks', () => {
    const text = 'héllo → 世界 🐝';
    const bytes = b(`${text}\n`);
    const decoder = new LineDecoder(100);
    const chunks: Buffer[] = [];
    // One byte at a time splits every multi-byte character.
    for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
    expect(feed(decoder, chunks)).toEqual([text]);
  });

  it('decodes a 4-byte character split in the middle', () => {
    const bytes = b('🐝\n');
    const decoder = new LineDecoder(100);
    expect(decoder.push(bytes.subarray(0, 2))).toEqual([]);
    expect(decoder.push(bytes.subarray(2))).toEqual(['🐝']);
  });

  it('counts the limit in bytes, not characters', () => {
    // 'é' is 2 bytes: 3 characters, 6 bytes.
    expect(new LineDecoder(5).push(b('ééé\nok\n'))).toEqual([null, 'ok']);
    expect(new LineDecoder(6).push(b('ééé\n'))).toEqual(['ééé']);
  });

  it('does not keep a reference to the caller-owned chunk', () => {
    const decoder = new LineDecoder(100);
    const chunk = b('abc');
    decoder.push(chunk);
    chunk.fill(0x78); // 'x'
    expect(decoder.push(b('\n'))).toEqual(['abc']);
  });
});

describe('encodeMessage', () => {
  it('writes one JSON line that decodes back to the same agent message', () => {
    const message: AgentMessage = {
      type: 'trace',
      id: 'run-1',
      lines: ['bash-1 [000] hello\nwith newline', 'ünïcödé 🐝'],
      dropped: 3,
    };
    const encoded = encodeMessage(message);
    expect(encoded.endsWith('\n')).toBe(true);
    expect(encoded.indexOf('\n')).toBe(encoded.length - 1);

    const lines = new LineDecoder(1024).push(b(encoded));
    expect(lines).toHaveLength(1);
    const decoded = decodeAgentMessage(lines[0] as string);
    expect(decoded).toEqual({ ok: true, message });
  });

  it('encodes host messages as single-line JSON', () => {
    const message: HostMessage = {
      type: 'exec',
      id: 'e1',
      command: 'echo a\necho b',
      timeoutMs: 5,
    };
    const encoded = encodeMessage(message);
    expect(encoded.split('\n')).toEqual([expect.any(String), '']);
    expect(JSON.parse(encoded)).toEqual(message);
  });
});

describe('decodeAgentMessage', () => {
  it.each<[string, AgentMessage]>([
    ['ready', { type: 'ready', protocolVersion: 1, kernel: '6.6.0', bcc: '0.29.1' }],
    ['trace', { type: 'trace', id: 'r1', lines: ['a', 'b'], dropped: 0 }],
    [
      'run-error',
      { type: 'run-error', id: 'r1', kind: 'verifier', message: 'rejected', log: '0: (b7) r0 = 0' },
    ],
  ])('decodes a valid %s message', (_name, message) => {
    expect(decodeAgentMessage(JSON.stringify(message))).toEqual({ ok: true, message });
  });

  it('rejects a line that is not JSON', () => {
    const error = errorOf('{"type":"ready"');
    expect(error).toMatch(/^not JSON: /);
  });

  it('rejects JSON that is not an object', () => {
    expect(errorOf('42')).toMatch(/^invalid agent message/);
    expect(errorOf('null')).toMatch(/^invalid agent message/);
  });

  it('rejects an unknown type, naming the type field', () => {
    const error = errorOf(JSON.stringify({ type: 'launch-missiles', id: 'x' }));
    expect(error).toMatch(/^invalid agent message/);
    expect(error).toContain('at type');
  });

  it('rejects an extra key (schemas are strict), naming the key', () => {
    const error = errorOf(JSON.stringify({ type: 'pong', id: 'p1', sneaky: true }));
    expect(error).toMatch(/^invalid agent message/);
    expect(error).toContain('sneaky');
  });

  it('rejects an extra key inside a nested object', () => {
    const error = errorOf(
      JSON.stringify({
        type: 'run-attached',
        id: 'r1',
        probes: [{ kind: 'kprobe', event: 'e', fn: 'f', extra: 1 }],
      }),
    );
    expect(error).toContain('at probes.0');
    expect(error).toContain('extra');
  });

  it('rejects a wrong field type, naming its path', () => {
    const error = errorOf(JSON.stringify({ type: 'trace', id: 'r1', lines: ['a'], dropped: '0' }));
    expect(error).toMatch(/^invalid agent message at dropped: /);
  });

  it('rejects a wrong type inside an array, naming the index', () => {
    const error = errorOf(JSON.stringify({ type: 'trace', id: 'r1', lines: ['a', 7], dropped: 0 }));
    expect(error).toMatch(/^invalid agent message at lines\.1: /);
  });

  it('rejects a missing field, naming it', () => {
    const error = errorOf(JSON.stringify({ type: 'ready', protocolVersion: 1, kernel: 'k' }));
    expect(error).toMatch(/^invalid agent message at bcc: /);
  });

  it('rejects an enum value outside the set', () => {
    const error = errorOf(
      JSON.stringify({ type: 'run-error', id: 'r1', kind: 'oops', message: 'm', log: '' }),
    );
    expect(error).toMatch(/^invalid agent message at kind: /);
  });

  it('rejects a negative dropped count', () => {
    const error = errorOf(JSON.stringify({ type: 'trace', id: 'r1', lines: [], dropped: -1 }));
    expect(error).toMatch(/at dropped/);
  });
});
