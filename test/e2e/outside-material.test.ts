/**
 * Material from outside the course (issue 16, items 2 and 3): BCC's tutorial examples and the
 * `*-bpfcc` tools the image ships, run unchanged in one real sandbox as a learner runs them from
 * its shell, each with a trigger and the output it must show. Those that cannot work on the
 * image's kernel are run too, and must fail the way docs/outside-material.md says (so the doc is
 * updated the day they work); the lab's own Run of their attach points must say why.
 *
 * Under emulation each Python BCC program spends 5-120 s compiling before its first line: the
 * set here is representative, not every example (docs/outside-material.md), and the file takes
 * about 11 minutes on a busy 2-core host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QemuSandboxDriver } from '../../runner/sandbox/qemu.js';
import type { Sandbox } from '../../runner/sandbox/sandbox.js';
import { runProbe } from './helpers.js';
import {
  BCC_EXAMPLES,
  describeRun,
  describeUnanswering,
  isUnanswered,
  type OutsideProgram,
  type OutsideRun,
  runOutsideProgram,
} from './outside-programs.js';

const TRACING = `${BCC_EXAMPLES}/tracing`;
/** Block I/O the page cache cannot absorb: the root disk, read with O_DIRECT. */
const DISK_READ = 'dd if=/dev/vda of=/dev/null bs=4k count=64 iflag=direct';
/** A whole TCP connection on loopback (the sandbox has no other network): open, send, close. */
const LOOPBACK_CONNECTION =
  'python3 -c \'import socket; l = socket.create_server(("127.0.0.1", 0)); ' +
  'c = socket.create_connection(l.getsockname()); a, _ = l.accept(); c.sendall(b"hi"); ' +
  "a.recv(2); c.close(); a.close()'";
/** A histogram row with a count above zero: `   16 -> 31   : 3   |****|`. */
const HISTOGRAM_ROW = /\d+ -> \d+\s+: [1-9]/;

/** Each program's bound: the slowest start seen under emulation on a busy host was 116 s. */
const PROGRAM_SECONDS = 200;
/** Room for a second run in a fresh sandbox when the first one stops answering. */
const SLOW = 2 * (PROGRAM_SECONDS + 60) * 1000;

const examples: OutsideProgram[] = [
  {
    name: 'hello_world.py',
    command: 'python3 hello_world.py',
    cwd: BCC_EXAMPLES,
    trigger: 'ls /',
    ready: /Hello, World!/,
    expect: /bpf_trace_printk: Hello, World!/,
    timeoutSeconds: PROGRAM_SECONDS,
  },
  {
    name: 'tracing/sync_timing.py',
    command: 'python3 sync_timing.py',
    cwd: TRACING,
    trigger: 'sync; sync',
    ready: /multiple syncs detected/,
    expect: /At time [\d.]+ s: multiple syncs detected, last \d+ ms ago/,
    timeoutSeconds: PROGRAM_SECONDS,
  },
  {
    name: 'tracing/task_switch.py',
    command: 'python3 task_switch.py',
    cwd: TRACING,
    trigger: 'true',
    ready: /task_switch\[/,
    expect: /task_switch\[\s*\d+->\s*\d+\]=\d+/,
    timeoutSeconds: PROGRAM_SECONDS,
  },
];

/** On kernel 6.12 these fail as their authors could not foresee; the README's table says why. */
const brokenExamples: OutsideProgram[] = [
  {
    name: 'tracing/urandomread.py',
    command: 'python3 urandomread.py',
    cwd: TRACING,
    trigger: 'head -c 16 /dev/urandom',
    ready: /error|Traceback/,
    expect: /incomplete definition of type 'struct tracepoint__random__urandom_read'/,
    timeoutSeconds: PROGRAM_SECONDS,
  },
  {
    name: 'tracing/bitehist.py',
    command: 'python3 bitehist.py',
    cwd: TRACING,
    trigger: DISK_READ,
    ready: /Traceback|Tracing/,
    expect: /to kprobe b?'?blk_account_io_done'?, it's not traceable/,
    timeoutSeconds: PROGRAM_SECONDS,
  },
];

const tools: OutsideProgram[] = [
  {
    name: 'biolatency-bpfcc (block I/O)',
    command: 'biolatency-bpfcc',
    cwd: '/root',
    trigger: DISK_READ,
    ready: /Tracing block device I\/O/,
    expect: HISTOGRAM_ROW,
    timeoutSeconds: PROGRAM_SECONDS,
  },
  {
    name: 'runqlat-bpfcc (scheduler)',
    command: 'runqlat-bpfcc',
    cwd: '/root',
    // More runnable tasks than CPUs, so some wait in the run queue.
    trigger: 'for n in 1 2 3 4; do (i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done) & done; wait',
    ready: /Tracing run queue latency/,
    expect: HISTOGRAM_ROW,
    timeoutSeconds: PROGRAM_SECONDS,
  },
  {
    name: 'opensnoop-bpfcc (file system)',
    command: 'opensnoop-bpfcc',
    cwd: '/root',
    trigger: 'cat /etc/hostname',
    ready: /PID\s+COMM\s+FD ERR PATH/,
    expect: /cat\s+\d+\s+0 \/etc\/hostname/,
    timeoutSeconds: PROGRAM_SECONDS,
  },
  {
    name: 'vfsstat-bpfcc (file system)',
    command: 'vfsstat-bpfcc 1 4',
    cwd: '/root',
    trigger: 'ls /usr/bin',
    ready: /READ\/s/,
    expect: /^\d\d:\d\d:\d\d:\s+[1-9]\d*\s+\d+/m,
    timeoutSeconds: PROGRAM_SECONDS,
    endsByItself: true,
  },
  {
    name: 'tcplife-bpfcc (network, loopback)',
    command: 'tcplife-bpfcc',
    cwd: '/root',
    trigger: LOOPBACK_CONNECTION,
    ready: /LADDR/,
    expect: /python3\s+127\.0\.0\.1\s+\d+\s+127\.0\.0\.1\s+\d+/,
    timeoutSeconds: PROGRAM_SECONDS,
  },
  {
    name: 'profile-bpfcc (sampling)',
    command: 'profile-bpfcc -F 49 6',
    cwd: '/root',
    trigger: 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done',
    ready: /Sampling at 49 Hertz/,
    // A sampled stack ends in the process it was taken in: `-    bash (123)`.
    expect: /^\s+-\s+bash \(\d+\)$/m,
    timeoutSeconds: PROGRAM_SECONDS,
    endsByItself: true,
  },
  {
    name: "funccount-bpfcc 'vfs_*'",
    command: "funccount-bpfcc 'vfs_*'",
    cwd: '/root',
    trigger: 'ls /',
    ready: /Tracing \d+ functions/,
    expect: /^vfs_read\s+[1-9]\d*$/m,
    timeoutSeconds: PROGRAM_SECONDS,
  },
];

const driver = new QemuSandboxDriver();
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await driver.start();
});
afterAll(async () => {
  await sandbox?.stop();
});

/**
 * Runs `program`; when its sandbox stops answering commands, says in what state (see
 * describeUnanswering), and runs it once more in a fresh sandbox, as the lab replaces a learner's
 * sandbox that stops answering. Seen once in five whole runs of this file, after vfsstat, with
 * the cause not yet found: the log keeps what the next occurrence shows.
 */
async function runReplacingUnanswering(program: OutsideProgram): Promise<OutsideRun> {
  try {
    return await runOutsideProgram(sandbox, program);
  } catch (error) {
    if (!isUnanswered(error)) throw error;
    console.warn(
      `${program.name}: the sandbox stopped answering (${(error as Error).message}); ` +
        `${await describeUnanswering(sandbox)}\nRunning it again in a fresh sandbox.`,
    );
    await sandbox.stop();
    sandbox = await driver.start();
    return await runOutsideProgram(sandbox, program);
  }
}

async function expectToShow(program: OutsideProgram): Promise<void> {
  const run = await runReplacingUnanswering(program).catch((error: Error) => {
    // Say what state the sandbox was in: alive or not, and the guest's last console lines.
    const qemu = sandbox as Sandbox & { console?: string };
    throw new Error(
      `${program.name}: ${error.message}; sandbox alive: ${sandbox.isAlive}; ` +
        `guest console:\n${qemu.console ?? '(none)'}`,
    );
  });
  console.log(`${program.name}: ready after ${run.readySeconds} s, done after ${run.seconds} s`);
  expect(run.output, describeRun(program, run)).toMatch(program.expect);
}

describe("BCC's tutorial examples, unchanged, from the image's doc folder", () => {
  for (const program of examples) {
    it(`${program.name} shows ${program.expect}`, () => expectToShow(program), SLOW);
  }
});

describe('examples that cannot work on kernel 6.12 fail as docs/outside-material.md says', () => {
  for (const program of brokenExamples) {
    it(`${program.name}: ${program.expect}`, () => expectToShow(program), SLOW);
  }

  it("the lab's Run of the same attach points names the kernel and what to use instead", async () => {
    const tracepoint = await runProbe(sandbox, {
      source: 'int probe(void *ctx) { return 0; }',
      attach: [{ kind: 'tracepoint', target: 'random:urandom_read' }],
    });
    expect(tracepoint.error?.kind).toBe('attach');
    expect(tracepoint.error?.message).toContain(`(${sandbox.kernel};`);
    expect(tracepoint.error?.message).toMatch(/urandom_read_iter can be traced with a kprobe/);

    const kprobe = await runProbe(sandbox, {
      source: 'int probe(void *ctx) { return 0; }',
      attach: [{ kind: 'kprobe', target: 'blk_account_io_done' }],
    });
    expect(kprobe.error?.kind).toBe('attach');
    expect(kprobe.error?.message).toContain(`is in this kernel (${sandbox.kernel})`);
    expect(kprobe.error?.message).toContain('tracepoint:block:block_io_done');
  }, 120_000);
});

describe('the *-bpfcc tools the image ships, bounded to seconds', () => {
  for (const program of tools) {
    it(`${program.name} shows ${program.expect}`, () => expectToShow(program), SLOW);
  }
});
