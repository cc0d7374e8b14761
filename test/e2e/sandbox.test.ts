/**
 * The qemu microVM driver: the sandbox contract (test/e2e/sandbox-contract.ts) against a real
 * microVM started as the lab starts them, restored from the VM template of the guest image,
 * then what only a VM gives: the learner's code never sees this host.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { prepareProbe } from '../../runner/probe/prepare.js';
import { type ProbeError, ProbeRun, type ProbeRunEvent } from '../../runner/probe/probe-run.js';
import { execInSandbox } from '../../runner/sandbox/exec.js';
import { QemuSandboxDriver } from '../../runner/sandbox/qemu.js';
import { HELLO_WORLD, runProbe } from './helpers.js';
import { describeSandboxContract, waitUntil } from './sandbox-contract.js';

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

describe("BCC's headers, precompiled in the sandbox", () => {
  const PCH = '/var/cache/ebpf-lab/bcc-headers.pch';
  const pchExists = async () => (await execInSandbox(sandbox().agent, `test -s ${PCH}`)).code === 0;
  const newSource = (words: string) =>
    HELLO_WORLD.replace('Hello World!!', `${words} ${Date.now()}`);
  const workerPid = async () =>
    (await execInSandbox(sandbox().agent, 'pgrep -x ebpf-lab-bcc')).stdout.trim();
  // A fresh worker: what it knows of the headers is only what it finds in the sandbox.
  const restartWorker = async () => {
    const old = await workerPid();
    await execInSandbox(sandbox().agent, `kill ${old}`);
    await waitUntil(
      async () => ![old, ''].includes(await workerPid()),
      'the agent starts a new BCC worker',
      60_000,
    );
    // The agent gives up on a worker that dies within 5 s of its start three times running.
    await new Promise((resolve) => setTimeout(resolve, 5_500));
  };

  /**
   * Has bpftrace in the sandbox watch for the first open of a file whose path starts with
   * `path`; resolves, once it is attached, to what it will print ("opened by <comm>"), boxed:
   * a promise resolving to a promise would wait for both.
   */
  const watchOpen = async (path: string): Promise<{ output: Promise<string> }> => {
    let attached!: () => void;
    const ready = new Promise<void>((resolve) => {
      attached = resolve;
    });
    const watch = execInSandbox(
      sandbox().agent,
      `timeout 120 bpftrace -e 'tracepoint:syscalls:sys_enter_openat /strncmp(str(args.filename), "${path}", ${path.length}) == 0/ { printf("opened by %s\\n", comm); exit(); }'`,
      {
        timeoutMs: 150_000,
        onOutput: (_, text) => {
          if (text.includes('Attaching')) attached();
        },
      },
    );
    // Should bpftrace fail to start, the caller's assertion shows what it said.
    void watch.then(() => attached());
    await ready;
    return { output: watch.then((result) => result.stdout + result.stderr) };
  };

  it('are there once the sandbox answers a compile, and every compile reads them', async () => {
    // Restored from the template, the sandbox has them from the start; booted cold, its
    // worker's warm-up builds them, and a compile sent meanwhile waits for it.
    expect((await prepareProbe(sandbox().agent, newSource('first compile'))).error).toBeUndefined();
    expect(await pchExists()).toBe(true);
    // bpftrace in the sandbox sees the worker open the file while it compiles a new source.
    const opened = await watchOpen(PCH);
    const prepared = await prepareProbe(sandbox().agent, newSource('read the headers'));
    expect(prepared.error).toBeUndefined();
    expect(await opened.output).toContain('opened by ebpf-lab-bcc');
  });

  it("precompile a source's slow includes after its compile, for every source that opens with them", async () => {
    // <linux/sched.h> is several times BCC's own headers: the first compile parses it, and the
    // worker then precompiles BCC's headers with it, in the background. The probe keeps a map,
    // whose fd is in its bytecode: the PCH's check must see past it.
    const withSched = (words: string) => `#include <linux/sched.h>
BPF_HASH(starts, u32, u64);
int count_starts(void *ctx) {
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    starts.increment(pid);
    return 0;
}
// ${words} ${Date.now()}
`;
    const includesPchs = async () =>
      (await execInSandbox(sandbox().agent, 'ls /var/cache/ebpf-lab/')).stdout
        .split('\n')
        .filter((name) => name.startsWith('includes-'));
    const before = await includesPchs();
    expect(
      (await prepareProbe(sandbox().agent, withSched('parses sched.h'))).error,
    ).toBeUndefined();
    // The next such compile waits for that build and its check, then reads the new PCH.
    const opened = await watchOpen('/var/cache/ebpf-lab/includes-');
    const prepared = await prepareProbe(sandbox().agent, withSched('reads the PCH'));
    expect(prepared.error).toBeUndefined();
    expect(prepared.warnings).toEqual([]);
    expect(await opened.output).toContain('opened by ebpf-lab-bcc');
    const added = (await includesPchs()).filter((name) => !before.includes(name));
    expect(added).toHaveLength(1);
    // Spoiled, it is dropped, and the compile is made again without it.
    await execInSandbox(sandbox().agent, `truncate -s 100000 /var/cache/ebpf-lab/${added[0]}`);
    const spoiled = await prepareProbe(sandbox().agent, withSched('after the spoiler'));
    expect(spoiled.error).toBeUndefined();
    expect(await includesPchs()).toEqual(before);
  });

  it('spoiled by the learner, are dropped, compiles still work, and the next worker builds them', async () => {
    const compiles = async (words: string) => {
      const prepared = await prepareProbe(sandbox().agent, newSource(words));
      expect(prepared.error, words).toBeUndefined();
      expect(prepared.warnings, words).toEqual([]);
    };
    // Cut short under the worker using them: its next compile trips, is made again without.
    await execInSandbox(sandbox().agent, `truncate -s 100000 ${PCH}`);
    await compiles('cut short');
    expect(await pchExists()).toBe(false);
    // Gone: the next worker builds them again as it starts.
    await restartWorker();
    await compiles('built again');
    expect(await pchExists()).toBe(true);
    // Overwritten before a worker starts: its warm-up finds out, and they are dropped again.
    await execInSandbox(sandbox().agent, `echo 'not a PCH' > ${PCH}`);
    await restartWorker();
    await compiles('overwritten');
    expect(await pchExists()).toBe(false);
    // Built again by the next worker, and its runs work.
    await restartWorker();
    const outcome = await runProbe(
      sandbox(),
      { source: newSource('after the spoilers'), attach: [{ kind: 'kprobe', target: 'clone' }] },
      { trigger: 'ls /', until: (messages) => messages.some((m) => m.includes('after the')) },
    );
    expect(outcome.error).toBeUndefined();
    expect(await pchExists()).toBe(true);
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
