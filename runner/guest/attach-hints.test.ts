/**
 * attach_hints.py words the lab's error for an attach point the sandbox's kernel does not have.
 * These tests run the real Python on a made-up tracefs events folder and function list, shaped
 * like kernel 6.12's where BCC's tutorial examples fail: the message must name the kernel's
 * release and the nearest names that exist.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runGuestPython } from './guest-python.js';

const RELEASE = '6.12.118+deb13-cloud-amd64';

/** Reads {call, args} on stdin, calls attach_hints.<call>(*args), prints its result. */
const PYTHON = `
import attach_hints

data = json.load(sys.stdin)
args = [set(a) if isinstance(a, list) else a for a in data['args']]
json.dump(getattr(attach_hints, data['call'])(*args), sys.stdout)
`;

function call(name: string, ...args: unknown[]): string {
  return runGuestPython(PYTHON, { call: name, args }) as string;
}

const events = mkdtempSync(join(tmpdir(), 'attach-hints-'));
afterAll(() => rmSync(events, { recursive: true, force: true }));
for (const tracepoint of [
  'block/block_io_start',
  'block/block_io_done',
  'block/block_rq_issue',
  'block/block_rq_complete',
  'sched/sched_process_exec',
  'sched/sched_switch',
  'syscalls/sys_enter_openat',
]) {
  mkdirSync(join(events, tracepoint), { recursive: true });
}

/** Traceable functions (available_filter_functions), as on 6.12. */
const FUNCTIONS = [
  'urandom_read_iter',
  'random_read_iter',
  'blk_mq_start_request',
  'blk_mq_end_request',
  'tcp_v4_connect',
  'vfs_read',
  '__x64_sys_clone',
];

describe('a tracepoint the kernel does not have', () => {
  it('random:urandom_read (removed in 5.18): names the release, and the function to kprobe', () => {
    const message = call('missing_tracepoint', 'random:urandom_read', events, RELEASE, FUNCTIONS);
    expect(message).toContain(`No tracepoint "random:urandom_read" in this kernel (${RELEASE}`);
    expect(message).toContain('No category "random"');
    expect(message).toMatch(/kernel function urandom_read_iter can be traced with a kprobe/);
  });

  it('a misspelt event offers the near ones in its category', () => {
    const message = call('missing_tracepoint', 'sched:sched_proces_exec', events, RELEASE, []);
    expect(message).toContain(`(${RELEASE};`);
    expect(message).toContain('Did you mean sched:sched_process_exec?');
  });

  it('an event of another category is offered under its own', () => {
    const message = call('missing_tracepoint', 'blocks:block_io_done', events, RELEASE, []);
    expect(message).toContain('Did you mean block:block_io_done?');
  });

  it('with nothing near, says so without a "did you mean"', () => {
    const message = call('missing_tracepoint', 'zzz:nothing_like_it', events, RELEASE, FUNCTIONS);
    expect(message).toBe(
      `No tracepoint "zzz:nothing_like_it" in this kernel (${RELEASE}; the list is in ${events}).`,
    );
  });
});

describe('a kprobe target', () => {
  it('that the kernel has but ftrace cannot hook (blk_account_io_done on 6.12)', () => {
    const message = call('untraceable_function', 'blk_account_io_done', FUNCTIONS, events, RELEASE);
    expect(message).toContain(`"blk_account_io_done" is in this kernel (${RELEASE})`);
    expect(message).toContain('cannot be traced');
    expect(message).toContain('Did you mean tracepoint:block:block_io_done?');
  });

  it('that does not exist: names the release and the near syscall', () => {
    const message = call('missing_function', 'clon', FUNCTIONS, ['clone'], RELEASE);
    expect(message).toBe(
      `No syscall or kernel function named "clon" in this kernel (${RELEASE}). Did you mean clone?`,
    );
  });
});
