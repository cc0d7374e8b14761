/**
 * The qemu microVM sandbox driver: boots the guest image with no network device, bounded memory
 * and CPUs, and talks to the agent over a virtio-serial port backed by a private unix socket.
 *
 * A qemu must never outlive us: each is started under `setpriv --pdeathsig KILL` (the kernel
 * kills it if this process dies, even by SIGKILL), killed on `process.exit`, and killed when
 * stopped or when its boot times out.
 */
import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { AgentConnection } from '../agent-connection.js';
import { findImage, type GuestImage } from '../image/build.js';
import { LIMITS } from '../limits.js';
import type { ToolVersion } from '../protocol/messages.js';
import { type Accel, chooseAccel } from './accel.js';
import { capCpu } from './cpu-cap.js';
import {
  rejectOnAbort,
  type Sandbox,
  type SandboxDriver,
  SandboxError,
  type SandboxExit,
  type SandboxStartOptions,
} from './sandbox.js';

/** Every sandbox qemu carries this in its command line, so stray ones can be found. */
export const SANDBOX_PROCESS_NAME = 'ebpf-lab-sandbox';
const AGENT_PORT_NAME = 'org.ebpf-lab.agent';
const CONSOLE_TAIL_BYTES = 16 * 1024;

export interface QemuOptions {
  image: GuestImage;
  accel: Accel;
  memoryMiB: number;
  cpus: number;
  agentSocket: string;
  /** The host's TSC frequency; under software emulation the guest's TSC is the host's. */
  tscKhz?: number;
}

/**
 * Under software emulation the guest calibrates its TSC against an emulated PIT, a timing loop
 * that fails when the host is busy ("tsc: Unable to calibrate against PIT") and then hangs the
 * boot (seen in 1 of 4 boots with two sandboxes starting at once). Telling the kernel the
 * frequency skips the calibration. With KVM, kvmclock provides it.
 */
export function kernelCommandLine(accel: Accel, tscKhz: number | undefined): string {
  const args = ['console=ttyS0', 'quiet', 'panic=-1', ...guestLimitArgs()];
  if (accel === 'tcg' && tscKhz) args.push(`tsc_early_khz=${tscKhz}`);
  return args.join(' ');
}

/**
 * The guest's own limits, from runner/limits.ts, read by its init (the files budget) and its
 * agent (the learner's cgroup) from /proc/cmdline: one source of truth, no image rebuild.
 */
export function guestLimitArgs(): string[] {
  return [
    `ebpf_lab.learner_pids=${LIMITS.learnerProcesses.value}`,
    `ebpf_lab.learner_mem_mib=${LIMITS.learnerMemoryMiB.value}`,
    `ebpf_lab.files_mib=${LIMITS.sandboxFilesMiB.value}`,
  ];
}

/** The host CPU's clock in kHz from /proc/cpuinfo (on hosts with a constant TSC, its rate). */
export function hostTscKhz(cpuinfo: string): number | undefined {
  const mhz = Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(cpuinfo)?.[1]);
  return Number.isFinite(mhz) && mhz > 0 ? Math.round(mhz * 1000) : undefined;
}

export function qemuArgs(o: QemuOptions): string[] {
  return [
    '-name',
    `${SANDBOX_PROCESS_NAME},process=${SANDBOX_PROCESS_NAME}`,
    '-M',
    'microvm',
    '-accel',
    // Bounded translation cache: qemu's default (1 GiB) lets a long-lived sandbox only grow.
    o.accel === 'tcg' ? `tcg,tb-size=${LIMITS.tcgTranslationCacheMiB.value}` : o.accel,
    '-cpu',
    o.accel === 'kvm' ? 'host' : 'max',
    '-m',
    String(o.memoryMiB),
    '-smp',
    String(o.cpus),
    '-nic',
    'none',
    '-kernel',
    o.image.kernel,
    '-initrd',
    o.image.initramfs,
    '-append',
    kernelCommandLine(o.accel, o.tscKhz),
    '-drive',
    `id=root,file=${o.image.rootfs},format=raw,if=none,readonly=on`,
    '-device',
    'virtio-blk-device,drive=root',
    // Pages the guest frees go back to the host (the guest loads virtio_balloon).
    '-device',
    'virtio-balloon-device,free-page-reporting=on',
    '-device',
    'virtio-serial-device',
    '-chardev',
    `socket,id=agent,path=${o.agentSocket},server=on,wait=off`,
    '-device',
    `virtserialport,chardev=agent,name=${AGENT_PORT_NAME}`,
    '-display',
    'none',
    '-serial',
    'stdio',
    '-monitor',
    'none',
    '-no-reboot',
  ];
}

/** Said once per process: every sandbox on this host runs without a CPU cap, for one reason. */
let uncappedWarned = false;
function warnUncapped(reason: string): void {
  if (uncappedWarned) return;
  uncappedWarned = true;
  process.emitWarning(`sandboxes run without a host CPU cap: ${reason}`, 'ebpf-lab');
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

const hasSetpriv = spawnSync('setpriv', ['--help'], { stdio: 'ignore' }).status === 0;

/**
 * Starts `qemu-system-x86_64 args` so that it never outlives this process: under `setpriv
 * --pdeathsig KILL` when there is setpriv, and killed on `process.exit` until it exits.
 */
export function spawnQemu(args: string[], options: SpawnOptions): ChildProcess {
  const child = hasSetpriv
    ? spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'qemu-system-x86_64', ...args], options)
    : spawn('qemu-system-x86_64', args, options);
  live.add(child);
  child.on('exit', () => live.delete(child));
  return child;
}

export interface QemuDriverOptions {
  image?: GuestImage;
  /** Host CPUs the sandbox may use (a cgroup quota); null: uncapped (for the bench's baseline). */
  hostCpus?: number | null;
  accel?: Accel;
  memoryMiB?: number;
  cpus?: number;
}

export class QemuSandboxDriver implements SandboxDriver {
  readonly name = 'qemu';

  constructor(private readonly options: QemuDriverOptions = {}) {}

  async start(options: SandboxStartOptions = {}): Promise<Sandbox> {
    const image = this.options.image ?? (await findImage());
    if (!image) {
      throw new SandboxError(
        'The guest image is not built: run `ebpf-lab image build` (npm start and npm test do it for you).',
      );
    }
    const choice = this.options.accel
      ? { accel: this.options.accel, reason: 'chosen by the caller' }
      : chooseAccel();
    const boot = (accel: Accel, timeoutMs: number) =>
      QemuSandbox.boot(
        {
          image,
          accel,
          memoryMiB: this.options.memoryMiB ?? LIMITS.sandboxMemoryMiB.value,
          tscKhz: hostTscKhz(readFileSync('/proc/cpuinfo', 'utf8')),
          cpus: this.options.cpus ?? 2,
          hostCpus:
            this.options.hostCpus === undefined
              ? LIMITS.sandboxHostCpus.value
              : this.options.hostCpus,
        },
        timeoutMs,
        options,
      );
    options.onProgress?.(`booting the sandbox (${choice.accel}: ${choice.reason})`);
    if (choice.accel === 'kvm') {
      try {
        return await boot('kvm', LIMITS.kvmBootTimeoutMs.value);
      } catch (error) {
        if (options.signal?.aborted) throw error;
        options.onProgress?.(
          `KVM boot failed (${(error as Error).message.split('\n')[0]}); falling back to software emulation`,
        );
      }
    }
    return boot('tcg', LIMITS.bootTimeoutMs.value);
  }
}

class QemuSandbox implements Sandbox {
  private stopping = false;
  private consoleTail = '';
  readonly exited: Promise<SandboxExit>;
  kernel = '';
  tools: ToolVersion[] = [];
  bootMs = 0;

  private constructor(
    readonly mode: Accel,
    private readonly child: ChildProcess,
    private readonly dir: string,
    private socket: Socket | undefined = undefined,
    private connection: AgentConnection | undefined = undefined,
  ) {
    const onConsole = (chunk: Buffer) => {
      this.consoleTail = (this.consoleTail + chunk.toString('utf8')).slice(-CONSOLE_TAIL_BYTES);
    };
    child.stdout?.on('data', onConsole);
    child.stderr?.on('data', onConsole);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        rmSync(this.dir, { recursive: true, force: true });
        const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
        const reason = this.stopping ? 'stopped' : 'crashed';
        this.connection?.close(`the sandbox ${how}`);
        this.socket?.destroy();
        resolve({ reason, detail: `qemu ${how}` });
      });
    });
  }

  get agent(): AgentConnection {
    if (!this.connection) throw new SandboxError('the sandbox is not connected yet');
    return this.connection;
  }

  get isAlive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && !this.stopping;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last lines the guest printed on its console: for diagnosing a failed boot. */
  get console(): string {
    return this.consoleTail;
  }

  static async boot(
    config: Omit<QemuOptions, 'agentSocket'> & { hostCpus: number | null },
    timeoutMs: number,
    options: SandboxStartOptions,
  ): Promise<QemuSandbox> {
    const started = performance.now();
    const dir = mkdtempSync(join(tmpdir(), 'ebpf-lab-sandbox-'));
    const agentSocket = join(dir, 'agent.sock');
    const args = qemuArgs({ ...config, agentSocket });
    const child = spawnQemu(args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const cpuCap =
      config.hostCpus === null
        ? { applied: false, reason: 'uncapped by request', remove: () => {} }
        : capCpu(child.pid, basename(dir), config.hostCpus);
    if (!cpuCap.applied && config.hostCpus !== null) warnUncapped(cpuCap.reason);
    const sandbox = new QemuSandbox(config.accel, child, dir);
    void sandbox.exited.then(() => cpuCap.remove());
    const spawnError = new Promise<never>((_, reject) =>
      child.on('error', (error) =>
        reject(new SandboxError(`cannot start qemu-system-x86_64: ${error.message}`)),
      ),
    );
    const died = sandbox.exited.then((exit) => {
      throw new SandboxError(`the sandbox did not boot: ${exit.detail}\n${sandbox.consoleTail}`);
    });
    const aborted = rejectOnAbort(options.signal, 'boot cancelled');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new SandboxError(
              `the sandbox did not become ready within ${timeoutMs / 1000} s (${config.accel})\n${sandbox.consoleTail}`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([
        sandbox.connect(agentSocket, timeoutMs),
        spawnError,
        died,
        aborted,
        timedOut,
      ]);
      const ready = await Promise.race([
        sandbox.agent.handshake(timeoutMs),
        spawnError,
        died,
        aborted,
        timedOut,
      ]);
      sandbox.kernel = ready.kernel;
      sandbox.tools = ready.tools ?? [];
      sandbox.bootMs = Math.round(performance.now() - started);
      return sandbox;
    } catch (error) {
      await sandbox.stop();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** qemu creates the socket a moment after it starts: retry until it accepts. */
  private async connect(path: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        this.socket = await new Promise<Socket>((resolve, reject) => {
          const socket = connect(path);
          socket.once('connect', () => resolve(socket));
          socket.once('error', reject);
        });
        this.connection = new AgentConnection(this.socket, this.socket);
        return;
      } catch (error) {
        if (!this.isAlive || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.stopping = true;
      // The guest is stateless (read-only image, tmpfs overlay): nothing to shut down cleanly.
      this.child.kill('SIGKILL');
    }
    await this.exited;
  }
}
