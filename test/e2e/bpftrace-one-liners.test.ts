/**
 * The bpftrace one-liners lesson 13 shows, run as a learner runs them: the exact command lines
 * of the lesson's shell blocks, in a real sandbox, on a terminal (bpftrace buffers its output
 * when it is not one), with a trigger, their real output read back and matched.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLines } from '../../app/lessons/shell-commands.js';
import { PACKAGE_ROOT } from '../../runner/paths.js';
import { execInSandbox } from '../../runner/sandbox/exec.js';
import { writeSandboxFile } from '../../runner/sandbox/files.js';
import { QemuSandboxDriver } from '../../runner/sandbox/qemu.js';
import type { Sandbox } from '../../runner/sandbox/sandbox.js';

const LESSON = join(PACKAGE_ROOT, 'lessons', '13-bpftrace', 'lesson.md');
// Under software emulation bpftrace takes a few seconds to compile and attach; a loaded host
// makes that tens of seconds.
const ATTACH_TIMEOUT_MS = 90_000;

/** The lesson's `bpftrace -e` line whose program contains `marker`, without a trailing `&`. */
function oneLiner(marker: string): string {
  const lines = commandLines(readFileSync(LESSON, 'utf8')).filter(
    (line) => line.startsWith('bpftrace -e') && line.includes(marker),
  );
  expect(lines, `one bpftrace -e line with ${marker} in ${LESSON}`).toHaveLength(1);
  return (lines[0] as string).replace(/\s*&\s*$/, '');
}

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await new QemuSandboxDriver().start();
}, 300_000);

afterAll(async () => {
  await sandbox?.stop();
});

async function sh(command: string): Promise<string> {
  const result = await execInSandbox(sandbox.agent, command);
  return result.stdout + result.stderr;
}

/**
 * Starts `commandLine` on a terminal (`script`) in its own session, waits until bpftrace says
 * it is attaching, then runs `trigger` (again, every half second) until `until` matches the
 * output or the time is up. With `interrupt`, then sends Ctrl+C's SIGINT and waits for the exit
 * (bpftrace prints its maps then). Returns everything bpftrace printed.
 */
async function runOneLiner(
  commandLine: string,
  trigger: string,
  options: { until: RegExp; interrupt?: boolean },
): Promise<string> {
  await writeSandboxFile(
    sandbox.agent,
    '/tmp/one-liner.sh',
    `echo $$ > /tmp/one-liner.pid\nexec ${commandLine}\n`,
  );
  await sh(
    'rm -f /tmp/one-liner.log /tmp/one-liner.pid; ' +
      '(setsid script -qfec "bash /tmp/one-liner.sh" /tmp/one-liner.log >/dev/null 2>&1 </dev/null &); ' +
      'for _ in $(seq 100); do [ -s /tmp/one-liner.pid ] && break; sleep 0.05; done',
  );
  const read = async () => (await sh('cat /tmp/one-liner.log')).replace(/\r/g, '');
  try {
    const deadline = Date.now() + ATTACH_TIMEOUT_MS;
    let log = await read();
    while (!/Attaching \d+ probes?/.test(log) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      log = await read();
    }
    expect(log, 'bpftrace started and attached').toMatch(/Attaching \d+ probes?/);
    // Attaching is said before the probes are in place: trigger until the output shows them
    // (a map's lines show only at the exit, so then a few triggers, a second apart).
    for (let round = 1; Date.now() < deadline; round++) {
      await sh(trigger);
      await new Promise((resolve) => setTimeout(resolve, options.interrupt ? 1000 : 500));
      log = await read();
      if (options.interrupt ? round >= 3 : options.until.test(log)) break;
    }
    if (options.interrupt) {
      await sh(
        'kill -INT "$(cat /tmp/one-liner.pid)"; ' +
          'for _ in $(seq 300); do kill -0 "$(cat /tmp/one-liner.pid)" 2>/dev/null || break; sleep 0.1; done',
      );
      log = await read();
    }
    return log;
  } finally {
    await sh('kill -KILL "$(cat /tmp/one-liner.pid)" 2>/dev/null; true');
  }
}

describe('lesson 13: bpftrace one-liners print in the sandbox', () => {
  it('the hello world one-liner on kprobe:__x64_sys_clone prints Hello World!! per fork', async () => {
    const line = oneLiner('__x64_sys_clone');
    const log = await runOneLiner(line, '/bin/true; /bin/true', { until: /^Hello World!!$/m });
    expect(log).toMatch(/^Hello World!!$/m);
  });

  it('the opensnoop one-liner names the program and the file it opened', async () => {
    const line = oneLiner('sys_enter_openat');
    const log = await runOneLiner(line, 'cat /etc/hostname > /dev/null', {
      until: /^cat \/etc\/hostname$/m,
    });
    expect(log).toMatch(/^cat \/etc\/ld\.so\.cache$/m);
    expect(log).toMatch(/^cat \/etc\/hostname$/m);
  });

  it('the count by process one-liner prints its map on Ctrl+C, the trigger among the counts', async () => {
    const line = oneLiner('@[comm] = count()');
    const log = await runOneLiner(line, 'cat /etc/hostname > /dev/null', {
      until: /^@\[cat\]: \d+$/m,
      interrupt: true,
    });
    expect(log).toMatch(/^@\[cat\]: [1-9]\d*$/m);
  });
});
