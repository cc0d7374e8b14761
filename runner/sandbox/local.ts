/**
 * The `local` sandbox driver: the same guest agent, as a child process on this machine, over
 * its stdin/stdout. There is no VM between the learner's code and this kernel, so it is only
 * for a machine that is itself disposable (the Vagrant VM), it is never chosen by default
 * (`--sandbox local` only), and it refuses to start unless this process can load BPF programs
 * and attach kprobes, saying why.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentConnection } from '../agent-connection.js';
import { LIMITS } from '../limits.js';
import { GUEST_DIR } from '../paths.js';
import { protocolDescription } from '../protocol/json-schema.js';
import type { ToolVersion } from '../protocol/messages.js';
import {
  rejectOnAbort,
  type Sandbox,
  type SandboxDriver,
  SandboxError,
  type SandboxExit,
  type SandboxStartOptions,
} from './sandbox.js';

const TRACING = '/sys/kernel/debug/tracing';

/**
 * Loads the smallest kprobe program (`r0 = 0; exit`) with the bpf() system call and closes it:
 * the direct answer to "can this process load BPF programs?", where root may still lack the
 * capabilities (a container, a dropped capability set). Prints strerror and errno name on failure.
 */
export const CAN_LOAD_BPF_PY = `
import ctypes, errno, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
code = ctypes.create_string_buffer(struct.pack('<BBhiBBhi', 0xb7, 0, 0, 0, 0x95, 0, 0, 0), 16)
gpl = ctypes.create_string_buffer(b'GPL')
# union bpf_attr for BPF_PROG_LOAD: prog_type 2 (kprobe), insn_cnt, insns, license; rest zero.
attr = struct.pack('<IIQQ', 2, 2, ctypes.addressof(code), ctypes.addressof(gpl)).ljust(128, b'\\0')
fd = libc.syscall(321, 5, ctypes.create_string_buffer(attr, 128), 128)  # bpf(BPF_PROG_LOAD)
if fd < 0:
    e = ctypes.get_errno()
    print('%s (%s)' % (os.strerror(e), errno.errorcode.get(e, e)))
    sys.exit(1)
os.close(fd)
`;

/** Why this process cannot load a BPF program, or undefined when it can. */
export function cannotLoadBpf(): string | undefined {
  const probe = spawnSync('python3', ['-S', '-c', CAN_LOAD_BPF_PY], { encoding: 'utf8' });
  if (probe.status === 0) return undefined;
  const why = (probe.stdout || probe.stderr || probe.error?.message || '').trim();
  return (
    `this process cannot load a BPF program (bpf(BPF_PROG_LOAD): ${why}; ` +
    'it needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)'
  );
}

/** Why this machine cannot host the local sandbox; empty when it can. */
export function localSandboxProblems(): string[] {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) {
    problems.push('it must run as root (loading BPF programs and attaching kprobes needs it)');
  } else {
    const refused = cannotLoadBpf();
    if (refused) problems.push(refused);
  }
  const bcc = spawnSync('python3', ['-c', 'import bcc'], { stdio: 'ignore' });
  if (bcc.status !== 0) problems.push('python3 cannot import bcc (install python3-bpfcc)');
  if (!existsSync(join(TRACING, 'kprobe_events'))) {
    problems.push(`this kernel has no kprobe events at ${TRACING} (CONFIG_KPROBE_EVENTS, debugfs)`);
  }
  if (!existsSync('/sys/kernel/btf/vmlinux')) {
    problems.push('this kernel has no BTF (/sys/kernel/btf/vmlinux; CONFIG_DEBUG_INFO_BTF)');
  }
  try {
    accessSync('/lib/modules', constants.R_OK);
  } catch {
    problems.push(
      'no kernel headers or modules in /lib/modules (install linux-headers-$(uname -r))',
    );
  }
  return problems;
}

export class LocalSandboxDriver implements SandboxDriver {
  readonly name = 'local';
  readonly sharesKernel = true;
  /** Set once the machine passed: the checks spawn Python twice, too slow for every start. */
  private canRun = false;

  preflight(): void {
    if (this.canRun) return;
    const problems = localSandboxProblems();
    if (problems.length > 0) {
      throw new SandboxError(`The local sandbox cannot run here: ${problems.join('; ')}.`);
    }
    this.canRun = true;
  }

  async start(options: SandboxStartOptions = {}): Promise<Sandbox> {
    this.preflight();
    options.onProgress?.('starting the local agent (no VM: for a disposable machine only)');
    return LocalSandbox.start(options);
  }
}

class LocalSandbox implements Sandbox {
  readonly mode = 'local' as const;
  readonly exited: Promise<SandboxExit>;
  readonly agent: AgentConnection;
  kernel = '';
  tools: ToolVersion[] = [];
  bootMs = 0;
  private stopping = false;

  private constructor(
    private readonly child: ChildProcess,
    dir: string,
  ) {
    this.agent = new AgentConnection(
      child.stdout as NonNullable<ChildProcess['stdout']>,
      child.stdin as NonNullable<ChildProcess['stdin']>,
    );
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        rmSync(dir, { recursive: true, force: true });
        const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
        this.agent.close(`the local agent ${how}`);
        resolve({ reason: this.stopping ? 'stopped' : 'crashed', detail: `agent ${how}` });
      });
    });
  }

  static async start(options: SandboxStartOptions): Promise<LocalSandbox> {
    const started = performance.now();
    const dir = mkdtempSync(join(tmpdir(), 'ebpf-lab-local-'));
    const protocolFile = join(dir, 'protocol.json');
    writeFileSync(protocolFile, JSON.stringify(protocolDescription()));
    // Its own process group, so stop() takes the worker and the shells with it.
    const child = spawn(
      'python3',
      ['-S', '-u', join(GUEST_DIR, 'agent.py'), '--stdio', '--protocol', protocolFile],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
        detached: true,
      },
    );
    const sandbox = new LocalSandbox(child, dir);
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (error) =>
        reject(new SandboxError(`cannot start the local agent: ${error.message}`)),
      );
      void sandbox.exited.then((exit) =>
        reject(new SandboxError(`the local agent stopped: ${exit.detail}`)),
      );
    });
    const aborted = rejectOnAbort(options.signal, 'start cancelled');
    try {
      const ready = await Promise.race([
        sandbox.agent.handshake(LIMITS.kvmBootTimeoutMs.value),
        failed,
        aborted,
      ]);
      sandbox.kernel = ready.kernel;
      sandbox.tools = ready.tools ?? [];
      sandbox.bootMs = Math.round(performance.now() - started);
      return sandbox;
    } catch (error) {
      await sandbox.stop();
      throw error;
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get isAlive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && !this.stopping;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid) {
      this.stopping = true;
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
    await this.exited;
  }
}
