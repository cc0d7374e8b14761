/**
 * The qemu microVM driver: the sandbox contract (test/e2e/sandbox-contract.ts) against a real
 * microVM started as the lab starts them, restored from the VM template of the guest image,
 * then what only a VM gives: the learner's code never sees this host.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { type ProbeError, ProbeRun, type ProbeRunEvent } from '../../runner/probe/probe-run.js';
import { execInSandbox } from '../../runner/sandbox/exec.js';
import { QemuSandboxDriver } from '../../runner/sandbox/qemu.js';
import { HELLO_WORLD, runProbe } from './helpers.js';
import { describeSandboxContract } from './sandbox-contract.js';

const startProgress: string[] = [];
const sandbox = describeSandboxContract(() =>
  new QemuSandboxDriver().start({ onProgress: (text) => startProgress.push(text) }),
);

it('the sandbox under contract was restored from the VM template, as the lab starts them', () => {
  expect(sandbox().startedFrom, startProgress.join('\n')).toBe('template');
});

describe('the sandbox is not the host', () => {
  it("#include of a host file reads the sandbox's file, never the host's", async () => {
    const secret = `host_secret_${randomBytes(6).toString('hex')}`;
    // The secret is only in the file's content: its name shows up in clang's "not found".
    const hostFile = `/tmp/ebpf-lab-host-${process.pid}.h`;
    writeFileSync(hostFile, `#define LEAK "${secret}"\n`);
    try {
      const source = `#include "${hostFile}"
int hello_world(void *ctx) { return 0; }
`;
      const outcome = await runProbe(sandbox(), {
        source,
        attach: [{ kind: 'kprobe', target: 'clone' }],
      });
      expect(outcome.error?.kind).toBe('compile');
      expect(JSON.stringify(outcome)).not.toContain(secret);
      expect(outcome.error?.diagnostics[0]).toMatchObject({ line: 1 });
      expect(outcome.error?.log).toMatch(/file not found/);

      // /etc/hostname is the sandbox's: its content, `sandbox`, is what clang trips over.
      const etc = await runProbe(sandbox(), {
        source: `#include "/etc/hostname"\nint hello_world(void *ctx) { return 0; }\n`,
        attach: [{ kind: 'kprobe', target: 'clone' }],
      });
      expect(etc.error?.kind).toBe('compile');
      expect(etc.error?.log).toMatch(/sandbox/);
      if (hostname() !== 'sandbox') expect(JSON.stringify(etc)).not.toContain(hostname());
    } finally {
      rmSync(hostFile, { force: true });
    }
  });

  it('commands run inside the guest, with no network device', async () => {
    const result = await execInSandbox(sandbox().agent, 'cat /etc/hostname; ls /sys/class/net');
    expect(result.stdout).toBe('sandbox\nlo\n');
    expect(sandbox().kernel).toMatch(/cloud-amd64$/);
  });
});

describe('a crash of the BCC worker', () => {
  // Here, not in the contract: in the local driver's VM, killing "the" worker could hit
  // another sandbox's.
  it('is reported with how it died and where, and the next run works', async () => {
    const request = {
      source: HELLO_WORLD,
      attach: [{ kind: 'kprobe' as const, target: 'clone' }],
    };
    const errors: ProbeError[] = [];
    const run = ProbeRun.start(sandbox().agent, request, (event) => {
      if (event.type === 'error') errors.push(event.error);
    });
    await run.attached;
    // As clang or libbcc would die of a C++ abort: the worker's own SIGABRT.
    await execInSandbox(sandbox().agent, 'kill -ABRT $(pgrep -x ebpf-lab-bcc)');
    expect(await run.done).toBe('error');
    expect(errors[0]?.message).toMatch(/The BCC worker crashed \(killed by SIGABRT\)/);
    // Python's faulthandler says where each thread of the worker was.
    expect(errors[0]?.log).toContain('Fatal Python error: Aborted');
    expect(errors[0]?.log).toContain('bcc_worker.py');
    const again = await runProbe(sandbox(), request, {
      trigger: 'ls /',
      until: (messages) => messages.some((m) => m.includes('Hello World!!')),
    });
    expect(again.error).toBeUndefined();
    expect(again.messages.some((m) => m.includes('Hello World!!'))).toBe(true);
  });

  it('while it compiles: the run is compiled again on a fresh worker, and says so', async () => {
    // A source never compiled in this sandbox, so the compile takes a while.
    const source = HELLO_WORLD.replace('Hello World!!', `Hello again ${Date.now()}`);
    const events: ProbeRunEvent[] = [];
    let killed: Promise<unknown> | undefined;
    const run = ProbeRun.start(
      sandbox().agent,
      { source, attach: [{ kind: 'kprobe', target: 'clone' }] },
      (event) => {
        events.push(event);
        if (event.type === 'stage' && event.stage === 'compiling' && !killed)
          killed = execInSandbox(sandbox().agent, 'kill -ABRT $(pgrep -x ebpf-lab-bcc)');
      },
    );
    await run.attached;
    await killed;
    const notice = events.find((e) => e.type === 'notice');
    expect(notice?.type === 'notice' && notice.message).toMatch(
      /The BCC worker crashed \(killed by SIGABRT\) before the probe attached; running it again/,
    );
    expect(notice?.type === 'notice' && notice.log).toContain('Fatal Python error: Aborted');
    await execInSandbox(sandbox().agent, 'ls /');
    const deadline = Date.now() + 20_000;
    const hello = () => events.some((e) => e.type === 'trace' && e.raw.includes('Hello again'));
    while (!hello() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(hello()).toBe(true);
    expect(await run.stop()).toBe('requested');
  });
});
