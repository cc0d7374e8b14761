/**
 * A sandbox that heals itself (issue 15), tried the way a careless learner breaks it: from the
 * lab's own shell, through the server's real WebSocket, with real sandboxes. Each case asserts
 * that the learner was told what happened, in words, and that the next Run shows a trace line
 * within HEAL_BOUND_MS of the breakage being noticed (a shared 2-core machine under software
 * emulation; alone, it takes seconds).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../app/server/config.js';
import { type LabServer, startLabServer } from '../../app/server/server.js';
import type { ServerMessage } from '../../app/shared/protocol.js';
import { SandboxPool } from '../../runner/sandbox/pool.js';
import { QemuSandboxDriver } from '../../runner/sandbox/qemu.js';
import { FIXTURE_COURSE, HELLO_WORLD, TEST_CAPACITY } from './helpers.js';
import { LabTab, learnerCookie } from './lab-client.js';

/** From the learner being told to the first trace line of their next Run. */
const HEAL_BOUND_MS = 150_000;
const CASE_TIMEOUT_MS = 420_000;

let lab: LabServer;
let pool: SandboxPool;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ebpf-lab-heal-'));
  // One warm sandbox, as `serve` keeps by default: a broken one is replaced from it.
  pool = new SandboxPool(new QemuSandboxDriver(), 1);
  pool.fill();
  lab = await startLabServer(
    resolveConfig({
      port: 0,
      dataDir,
      warmSandboxes: 1,
      lessonsDir: FIXTURE_COURSE,
      maxSessions: TEST_CAPACITY,
    }),
    pool,
  );
}, 120_000);

afterAll(async () => {
  await lab?.close();
  await pool?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A new learner (own cookie, own sandbox) with a tab whose sandbox is ready. */
async function learnerTab(): Promise<LabTab> {
  const tab = await LabTab.open(lab.url, await learnerCookie(lab.url));
  // On a busy shared machine a boot can overrun its bound; a learner would type again.
  for (let attempt = 1; attempt <= 3; attempt++) {
    await tab.waitFor(() => /^(ready|error)/.test(tab.status()), 'the sandbox to start', 240_000);
    if (tab.status().startsWith('ready')) break;
    tab.send({ type: 'shell-input', data: '\r' });
    await tab.waitFor(() => !tab.status().startsWith('error'), 'a new start', 30_000);
  }
  expect(tab.status()).toMatch(/^ready/);
  tab.send({ type: 'shell-resize', cols: 120, rows: 30 });
  return tab;
}

/** Every status text and notice the tab was sent, in order. */
function told(tab: LabTab): string[] {
  return tab.messages.flatMap((m: ServerMessage) =>
    m.type === 'status' ? [m.text] : m.type === 'error' ? [m.message] : [],
  );
}

/** Runs hello world and types `ls /` until a trace line shows; returns the time it took. */
async function runUntilTraceLine(tab: LabTab, boundMs: number): Promise<number> {
  const started = Date.now();
  const traceBefore = tab.trace.length;
  await tab.waitFor(
    () => tab.status().startsWith('ready') || tab.status().startsWith('stopped'),
    'a ready sandbox',
    boundMs,
  );
  tab.send({ type: 'run', source: HELLO_WORLD, attach: [{ kind: 'kprobe', target: 'clone' }] });
  await tab.waitFor(
    () => tab.status().startsWith('attached'),
    'the probe to attach',
    boundMs - (Date.now() - started),
  );
  const typing = setInterval(() => tab.send({ type: 'shell-input', data: 'ls /\r' }), 2000);
  tab.send({ type: 'shell-input', data: 'ls /\r' });
  try {
    await tab.waitFor(
      () => tab.trace.slice(traceBefore).includes('Hello World!!'),
      'Hello World in the trace',
      Math.max(1000, boundMs - (Date.now() - started)),
    );
  } finally {
    clearInterval(typing);
  }
  tab.send({ type: 'stop' });
  return Date.now() - started;
}

/** The shell answers: a command typed now prints its result. */
async function shellAnswers(tab: LabTab, boundMs: number): Promise<void> {
  const token = `alive-${Math.floor(Math.random() * 1e6)}`;
  const marker = `${token}-${6 * 7}`;
  const typing = setInterval(
    () => tab.send({ type: 'shell-input', data: `echo ${token}-$((6*7))\r` }),
    3000,
  );
  tab.send({ type: 'shell-input', data: `echo ${token}-$((6*7))\r` });
  try {
    await tab.waitFor(() => tab.shell.includes(marker), 'the shell to answer', boundMs);
  } finally {
    clearInterval(typing);
  }
}

describe('a sandbox that heals itself', () => {
  it(
    'a fork bomb in the shell is stopped, the learner is told, and Run works',
    async () => {
      const tab = await learnerTab();
      tab.send({ type: 'shell-input', data: 'f(){ f | f & }; f\r' });
      await tab.waitFor(
        () =>
          told(tab).some((t) =>
            /Too many processes|keeps running out of memory|stopped answering/.test(t),
          ),
        'the learner to be told about the fork bomb',
        HEAL_BOUND_MS,
      );
      const ms = await runUntilTraceLine(tab, HEAL_BOUND_MS);
      console.log(`fork bomb: next Run's first trace line after ${ms} ms`);
      await shellAnswers(tab, 60_000);
      tab.close();
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'filling /tmp, /dev/shm and /run stops at one budget, the learner is told, and Run works',
    async () => {
      const tab = await learnerTab();
      tab.send({
        type: 'shell-input',
        data: 'for d in /tmp /dev/shm /run /root; do dd if=/dev/zero of=$d/fill bs=1M count=2000; done; echo fill-done\r',
      });
      await tab.waitFor(
        () => told(tab).some((t) => /files are full|stopped answering/.test(t)),
        'the learner to be told the files are full',
        HEAL_BOUND_MS,
      );
      await tab.waitFor(() => tab.shell.includes('No space left'), 'dd to hit the budget', 60_000);
      const ms = await runUntilTraceLine(tab, HEAL_BOUND_MS);
      console.log(`files full: next Run's first trace line after ${ms} ms`);
      await shellAnswers(tab, 60_000);
      // A save into the full budget says so, and works again once the learner deletes a file.
      tab.send({ type: 'save-files', files: { 'probe.c': HELLO_WORLD } });
      await tab.waitFor(
        () =>
          told(tab).some((t) =>
            t.includes("/root/probe.c could not be saved: the sandbox's files are full"),
          ),
        'the learner to be told the save found the files full',
        60_000,
      );
      tab.send({
        type: 'shell-input',
        data: 'rm -f /tmp/fill /dev/shm/fill /run/fill /root/fill\r',
      });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      tab.send({ type: 'save-files', files: { 'probe.c': `${HELLO_WORLD}// saved\n` } });
      tab.send({ type: 'shell-input', data: 'tail -1 /root/probe.c\r' });
      await tab.waitFor(() => tab.shell.includes('// saved'), 'the save to work again', 60_000);
      tab.close();
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'tracefs left strange (function tracer, events on, tracing off) is put back before the next Run, and the learner is told',
    async () => {
      const tab = await learnerTab();
      // Tracing off first, the function tracer on a few functions and one subsystem's events:
      // every function and every event would cost minutes of patching under emulation, and
      // the reset treats any number alike.
      tab.send({
        type: 'shell-input',
        data: "cd /sys/kernel/tracing && echo 0 > tracing_on && echo 'vfs_read*' > set_ftrace_filter && echo function > current_tracer && echo 1 > events/sched/enable && echo strange-$((2+2)); cd\r",
      });
      await tab.waitFor(
        () => tab.shell.includes('strange-4'),
        'tracefs to be made strange',
        120_000,
      );
      const ms = await runUntilTraceLine(tab, HEAL_BOUND_MS);
      console.log(`tracefs reset: next Run's first trace line after ${ms} ms`);
      expect(tab.trace).toContain('The lab put tracing back to what a Run needs');
      expect(tab.trace).toContain('the function tracer was on (now nop)');
      expect(tab.trace).toContain('tracing was off (now on)');
      expect(tab.trace).toMatch(/\d+ other trace event\(s\) were enabled \(now off\)/);
      // Only the probe's own lines: the function tracer or every event would be thousands.
      expect(tab.trace.split('\n').length).toBeLessThan(500);
      tab.close();
    },
    CASE_TIMEOUT_MS,
  );

  it(
    '`kill -9` of the guest agent: the learner is told, gets a fresh sandbox, Run and shell work',
    async () => {
      const tab = await learnerTab();
      tab.send({ type: 'save-files', files: { 'kept.txt': 'my code survives\n' } });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      // The shell's parent is the agent.
      tab.send({ type: 'shell-input', data: 'kill -9 $PPID\r' });
      await tab.waitFor(
        () => told(tab).some((t) => /agent\) was stopped|stopped answering/.test(t)),
        'the learner to be told the agent was stopped',
        HEAL_BOUND_MS,
      );
      expect(told(tab).join('\n')).toContain('your code is kept');
      const ms = await runUntilTraceLine(tab, HEAL_BOUND_MS);
      console.log(`agent killed: next Run's first trace line after ${ms} ms`);
      await shellAnswers(tab, 60_000);
      // The learner's saved files came back into the fresh sandbox.
      tab.send({ type: 'shell-input', data: 'cat /root/kept.txt\r' });
      await tab.waitFor(() => tab.shell.includes('my code survives'), 'the saved file', 30_000);
      tab.close();
    },
    CASE_TIMEOUT_MS,
  );

  it(
    'Reset sandbox: a fresh sandbox, the learner is told, files kept, Run works',
    async () => {
      const tab = await learnerTab();
      tab.send({ type: 'save-files', files: { 'kept.txt': 'kept across a reset\n' } });
      tab.send({ type: 'shell-input', data: 'touch /root/scratch-before-reset\r' });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      tab.send({ type: 'reset-sandbox' });
      await tab.waitFor(
        () => told(tab).some((t) => t.includes('You reset the sandbox')),
        'the reset to be announced',
        30_000,
      );
      const ms = await runUntilTraceLine(tab, HEAL_BOUND_MS);
      console.log(`reset: next Run's first trace line after ${ms} ms`);
      tab.send({ type: 'shell-input', data: 'cat /root/kept.txt\r' });
      await tab.waitFor(() => tab.shell.includes('kept across a reset'), 'the saved file', 30_000);
      // Everything else in the old sandbox is gone.
      tab.send({
        type: 'shell-input',
        data: 'test -e /root/scratch-before-reset && echo still-there || echo gone-$((1+1))\r',
      });
      await tab.waitFor(() => tab.shell.includes('gone-2'), 'the old sandbox to be gone', 30_000);
      tab.close();
    },
    CASE_TIMEOUT_MS,
  );
});
