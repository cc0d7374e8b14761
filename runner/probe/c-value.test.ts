import { describe, expect, it } from 'vitest';
import type { MapSnapshot } from '../protocol/messages.js';
import {
  describeMap,
  formatCValue,
  formatEvent,
  formatMaps,
  log2Range,
  mentionsLabTask,
} from './c-value.js';

function map(fields: Partial<MapSnapshot>): MapSnapshot {
  return {
    name: 'counts',
    kind: 'hash',
    keyType: 'struct key_t',
    valueType: 'u64',
    entries: [],
    total: 0,
    more: 0,
    scanned: true,
    histogram: null,
    events: null,
    note: '',
    ...fields,
  };
}

describe('decoded C values as text', () => {
  it("prints the book's hello-buffer event with its field names, strings quoted", () => {
    const line = formatEvent({
      map: 'output',
      size: 36,
      fields: { pid: 4321, uid: 0, command: 'cat', message: 'Hello World' },
      truncated: false,
    });
    expect(line).toBe('output: pid=4321 uid=0 command="cat" message="Hello World"');
  });

  it('prints nested structs, arrays, big integers and an empty string', () => {
    expect(
      formatCValue({ ip: [127, 0, 0, 1], inner: { a: 1, s: '' }, big: '18446744073709551615' }),
    ).toBe('{ip=[127, 0, 0, 1] inner={a=1 s=""} big="18446744073709551615"}');
    expect(formatCValue(null)).toBe('null');
    expect(formatCValue(true)).toBe('true');
  });

  it('shows the bytes of an event BCC has no struct for, and says when it was cut', () => {
    expect(formatEvent({ map: 'raw', size: 4, raw: '2a000000', truncated: false })).toBe(
      'raw: 4 bytes: 2a 00 00 00',
    );
    expect(
      formatEvent({ map: 'paths', size: 9000, fields: { path: '/etc' }, truncated: true }),
    ).toBe('paths: path="/etc" (truncated)');
  });

  it("knows the lab's own processes in any string field, however deep", () => {
    expect(mentionsLabTask({ comm: 'ebpf-lab-agent' })).toBe(true);
    expect(mentionsLabTask({ k: { names: ['x', 'ebpf-lab-bcc'] } })).toBe(true);
    expect(mentionsLabTask({ comm: 'python3' })).toBe(false);
    expect(mentionsLabTask({ comm: 'ebpf-lab-agent2' })).toBe(false);
    expect(mentionsLabTask(undefined)).toBe(false);
  });
});

describe('maps as text', () => {
  it("lists lesson 10's counts by program name, with the map's types", () => {
    const lines = formatMaps([
      map({
        name: 'opens',
        total: 2,
        entries: [
          { key: { comm: 'cat' }, value: 31 },
          { key: { comm: 'bash' }, value: 12 },
        ],
      }),
    ]);
    expect(lines).toEqual([
      'opens (hash, struct key_t -> u64): 2 entries',
      '  comm="cat"   31',
      '  comm="bash"  12',
    ]);
  });

  it('says how many entries were left out, and when the map has more keys than were read', () => {
    const lines = formatMaps([
      map({ total: 60, more: 10, scanned: false, entries: [{ key: 1, value: 2 }] }),
    ]);
    expect(lines[0]).toBe('counts (hash, struct key_t -> u64): more than 60 entries');
    expect(lines.at(-1)).toBe('  … 10 more not shown');
  });

  it('shows per-CPU values as their sum and each CPU', () => {
    const lines = formatMaps([
      map({
        kind: 'percpu_array',
        keyType: 'int',
        total: 1,
        entries: [{ key: 0, value: 7, perCpu: [3, 4] }],
      }),
    ]);
    expect(lines).toEqual([
      'counts (percpu_array, int -> u64): 1 entry (non-zero)',
      '  0  7 (cpu0 3, cpu1 4)',
    ]);
  });

  it('draws a log2 histogram with BCC ranges and bars scaled to the biggest bucket', () => {
    const lines = formatMaps([
      map({
        name: 'dist',
        kind: 'array',
        keyType: 'int',
        histogram: 'log2',
        total: 3,
        entries: [
          { key: 1, value: 5 },
          { key: 3, value: 10 },
          { key: 10, value: 1 },
        ],
      }),
    ]);
    expect(lines[0]).toBe('dist (array, log2 histogram, int -> u64): 3 entries');
    expect(lines[1]).toBe(`  1            5 |${'*'.repeat(15)}`);
    expect(lines[2]).toBe(`  4 -> 7       10 |${'*'.repeat(30)}`);
    expect(lines[3]).toBe(`  512 -> 1023  1 |${'*'.repeat(3)}`);
    expect(log2Range(0)).toBe('0');
    expect(log2Range(64)).toBe('9223372036854775808 -> 18446744073709551615');
  });

  it('counts the events of perf and ring buffers instead of listing entries', () => {
    expect(describeMap(map({ name: 'output', kind: 'perf_event_array', events: 1 }))).toBe(
      'output (perf_event_array): 1 event',
    );
    expect(
      describeMap(map({ kind: 'stack_trace', note: 'Entries of this kind are not shown.' })),
    ).toBe('counts (stack_trace, struct key_t -> u64): Entries of this kind are not shown.');
  });
});
