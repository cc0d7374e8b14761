/**
 * A sandbox that dies under a run: the run reports a sandbox failure (not a probe error), the
 * qemu process is gone, and the next run gets a fresh sandbox from the pool.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ProbeRun } from '../../runner/probe/probe-run.js';
import { SandboxPool } from '../../runner/sandbox/pool.js';
import { QemuSandboxDriver } from '../../runner/sandbox/qemu.js';
import type { Sandbox } from '../../runner/sandbox/sandbox.js';
import { HELLO_WORLD, runProbe } from './helpers.js';

const pool = new SandboxPool(new QemuSandboxDriver(), 1);
const sandboxes: Sandbox[] = [];

afterAll(async () => {
  await pool.close();
  await Promise.all(sandboxes.map((sandbox) => sandbox.stop()));
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a crashed sandbox', () => {
  it('is reported as a sandbox failure, and the next run gets a fresh sandbox', async () => {
    const first = await pool.acquire();
    sandboxes.push(first);
    const pid = first.pid as number;
    expect(isRunning(pid)).toBe(true);

    const run = ProbeRun.start(first.agent, {
      source: HELLO_WORLD,
      attach: [{ kind: 'kprobe', target: 'clone' }],
    });
    await run.attached;
    process.kill(pid, 'SIGKILL');

    expect(await run.done).toBe('error');
    expect(run.error?.kind).toBe('sandbox');
    expect(run.error?.message).toMatch(/sandbox stopped/i);
    expect(await first.exited).toMatchObject({ reason: 'crashed' });
    expect(first.isAlive).toBe(false);

    const second = await pool.acquire();
    sandboxes.push(second);
    expect(second.pid).not.toBe(pid);
    expect(second.isAlive).toBe(true);
    const outcome = await runProbe(
      second,
      { source: HELLO_WORLD, attach: [{ kind: 'kprobe', target: 'clone' }] },
      { trigger: 'ls /', until: (m) => m.some((l) => l.includes('Hello World!!')) },
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.messages).toContain('Hello World!!');
  });

  it('a run on a stopped sandbox fails as a sandbox error, not a crash of the caller', async () => {
    const sandbox = await pool.acquire();
    await sandbox.stop();
    const run = ProbeRun.start(sandbox.agent, {
      source: HELLO_WORLD,
      attach: [{ kind: 'kprobe', target: 'clone' }],
    });
    await expect(run.attached).rejects.toThrow(/sandbox/i);
    expect(run.error?.kind).toBe('sandbox');
  });
});
