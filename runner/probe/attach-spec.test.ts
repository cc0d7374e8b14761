import { describe, expect, it } from 'vitest';
import { AttachSpec } from '../protocol/messages.js';
import {
  ATTACH_KINDS,
  AttachSpecError,
  formatAttachSpec,
  MAX_ATTACH_NAME_LENGTH,
  parseAttachSpec,
} from './attach-spec.js';

const EXPECTED =
  'expected KIND:TARGET[=FN], e.g. kprobe:clone or tracepoint:syscalls:sys_enter_execve';

function errorOf(text: string): AttachSpecError {
  try {
    parseAttachSpec(text);
  } catch (error) {
    if (error instanceof AttachSpecError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('parseAttachSpec', () => {
  it.each([
    ['kprobe:clone', { kind: 'kprobe', target: 'clone' }],
    ['kretprobe:clone=hello_world', { kind: 'kretprobe', target: 'clone', fn: 'hello_world' }],
    ['kprobe:do_sys_openat2', { kind: 'kprobe', target: 'do_sys_openat2' }],
    ['kprobe:__x64_sys_clone', { kind: 'kprobe', target: '__x64_sys_clone' }],
    ['kprobe:tcp_v4_connect.cold', { kind: 'kprobe', target: 'tcp_v4_connect.cold' }],
    ['kprobe:vfs_read=_trace', { kind: 'kprobe', target: 'vfs_read', fn: '_trace' }],
    [
      'tracepoint:syscalls:sys_enter_execve',
      { kind: 'tracepoint', target: 'syscalls:sys_enter_execve' },
    ],
    [
      'tracepoint:syscalls:sys_enter_execve=on_exec',
      { kind: 'tracepoint', target: 'syscalls:sys_enter_execve', fn: 'on_exec' },
    ],
    ['tracepoint:9p:9p_client_req', { kind: 'tracepoint', target: '9p:9p_client_req' }],
    ['  kprobe:clone\n', { kind: 'kprobe', target: 'clone' }],
  ])('parses %j', (text, expected) => {
    const spec = parseAttachSpec(text);
    expect(spec).toStrictEqual(expected);
    // Whatever the CLI accepts must also pass the protocol's own validation.
    expect(AttachSpec.parse(spec)).toStrictEqual(expected);
  });

  it('leaves fn out entirely when there is no =FN', () => {
    expect(Object.keys(parseAttachSpec('kprobe:clone'))).toEqual(['kind', 'target']);
  });

  it('accepts names exactly at the length limit', () => {
    const long = `a${'b'.repeat(MAX_ATTACH_NAME_LENGTH - 1)}`;
    expect(parseAttachSpec(`kprobe:${long}=${long}`)).toEqual({
      kind: 'kprobe',
      target: long,
      fn: long,
    });
  });

  it('rejects a bare kind with the expected form', () => {
    expect(errorOf('kprobe').message).toBe(`bad --attach "kprobe": ${EXPECTED}`);
    expect(errorOf('clone').message).toBe(`bad --attach "clone": ${EXPECTED}`);
  });

  it('rejects empty and blank input', () => {
    expect(errorOf('').message).toBe(`bad --attach "": it is empty; ${EXPECTED}`);
    expect(errorOf('   ').message).toContain('it is empty');
  });

  it('lists the known kinds for an unknown kind', () => {
    const { message } = errorOf('uprobe:/bin/bash:readline');
    expect(message).toContain('unknown kind "uprobe"');
    expect(message).toContain('known kinds: kprobe, kretprobe, tracepoint');
    expect(message).toContain(EXPECTED);
    expect(ATTACH_KINDS).toEqual(['kprobe', 'kretprobe', 'tracepoint']);
  });

  it('suggests the lowercase kind when only the case is wrong', () => {
    expect(errorOf('KPROBE:clone').message).toContain(
      'unknown kind "KPROBE" (did you mean "kprobe"?)',
    );
  });

  it('rejects a missing kind', () => {
    expect(errorOf(':clone').message).toContain('KIND is missing');
  });

  it.each([
    ['kprobe:', 'no TARGET after "kprobe:"'],
    ['kretprobe:=fn', 'no TARGET after "kretprobe:"'],
    ['kprobe:1clone', 'kprobe TARGET "1clone" is not a kernel function or syscall name'],
    ['kprobe:sys-clone', 'is not a kernel function or syscall name'],
    ['kprobe:vmlinux:clone', 'kprobe TARGET "vmlinux:clone" is not'],
    ['kprobe:clone fn', 'is not a kernel function'],
    ['kprobe:clone=fn=other', 'more than one "="'],
    ['kprobe:clone=', 'no FN after "="'],
    ['kprobe:clone=1fn', 'FN "1fn" is not a C function name'],
    ['kprobe:clone=my-fn', 'FN "my-fn" is not a C function name'],
    ['kprobe:clone=a.b', 'FN "a.b" is not a C function name'],
    ['tracepoint:sys_enter_execve', 'a tracepoint TARGET is CATEGORY:EVENT'],
    ['tracepoint:a:b:c', 'got "a:b:c"'],
    ['tracepoint:syscalls:', 'one of them is empty in "syscalls:"'],
    ['tracepoint::sys_enter_execve', 'one of them is empty'],
    ['tracepoint:sys-calls:x', 'tracepoint name "sys-calls" may only contain'],
    ['tracepoint:syscalls:sys_enter_execve=', 'no FN after "="'],
  ])('rejects %j', (text, problem) => {
    const error = errorOf(text);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('AttachSpecError');
    expect(error.message).toContain(`bad --attach ${JSON.stringify(text)}: `);
    expect(error.message).toContain(problem);
    expect(error.message.endsWith(EXPECTED)).toBe(true);
  });

  it('rejects names over the length limit', () => {
    const tooLong = 'x'.repeat(MAX_ATTACH_NAME_LENGTH + 1);
    expect(errorOf(`kprobe:${tooLong}`).message).toContain('TARGET is 129 characters long');
    expect(errorOf(`kprobe:clone=${tooLong}`).message).toContain('FN is 129 characters long');
    expect(errorOf(`tracepoint:a:${tooLong}`).message).toContain('TARGET is 131 characters long');
  });

  it('keeps a huge or odd input out of the message', () => {
    const { message } = errorOf(`kprobe:${'x'.repeat(5000)}`);
    expect(message.length).toBeLessThan(400);
    expect(errorOf('kprobe:a\u0000b').message).toContain('"kprobe:a\\u0000b"');
  });
});

describe('formatAttachSpec', () => {
  it('prints the CLI syntax', () => {
    expect(formatAttachSpec({ kind: 'kprobe', target: 'clone' })).toBe('kprobe:clone');
    expect(formatAttachSpec({ kind: 'kretprobe', target: 'clone', fn: 'hello_world' })).toBe(
      'kretprobe:clone=hello_world',
    );
    expect(
      formatAttachSpec({ kind: 'tracepoint', target: 'syscalls:sys_enter_execve', fn: 'on_exec' }),
    ).toBe('tracepoint:syscalls:sys_enter_execve=on_exec');
  });

  it.each([
    'kprobe:clone',
    'kretprobe:clone=hello_world',
    'kprobe:do_sys_openat2',
    'tracepoint:syscalls:sys_enter_execve',
    'tracepoint:syscalls:sys_enter_execve=on_exec',
  ])('round-trips %s', (text) => {
    expect(formatAttachSpec(parseAttachSpec(text))).toBe(text);
    const spec = parseAttachSpec(text);
    expect(parseAttachSpec(formatAttachSpec(spec))).toStrictEqual(spec);
  });
});
