/**
 * The qemu microVM sandbox driver: boots the guest image with no network device, bounded memory
 * and CPUs, and talks to the agent over a virtio-serial port backed by a private unix socket.
 *
 * A qemu must never outlive us: each is started under `setpriv --pdeathsig KILL` (the kernel
 * kills it if this process dies, even by SIGKILL), killed on `process.exit`, and killed when
 * stopped or when its boot times out.
 */
import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, createWriteStream, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { AgentConnection } from '../agent-connection.js';
import { findImage, type GuestImage } from '../image/build.js';
import { LIMITS } from '../limits.js';
import type { ToolVersion } from '../protocol/messages.js';
import { type Accel, chooseAccel } from './accel.js';
import { type CpuCap, capCpu, uncappedCpu } from './cpu-cap.js';
import { QmpClient, QmpError } from './qmp.js';
import {
  rejectOnAbort,
  type Sandbox,
  type SandboxDriver,
  SandboxError,
  type SandboxExit,
  type SandboxStartOptions,
} from './sandbox.js';
import {
  findTemplate,
  markTemplateUsed,
  type TemplateSpec,
  templateKey,
  type VmTemplate,
} from './template-store.js';

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
  /**
   * Guest RAM in a file (VM templating): shared while a template is built, so the file holds
   * the RAM; private (copy-on-write) in a clone restored from it. Default: anonymous RAM.
   */
  memoryFile?: { path: string; share: boolean };
  /** A QMP socket, to save or restore the machine. */
  qmpSocket?: string;
  /** Start paused, waiting for `migrate-incoming` over QMP (a clone of a template). */
  incoming?: boolean;
}

/**
 * Kernel housekeeping that wakes an idle guest for nothing a sandbox needs; every wake-up costs
 * host CPU (each vCPU is a host thread), most under software emulation. Measured in an idle
 * guest: the soft-lockup watchdog (a timer per vCPU; under emulation a busy host also makes it
 * cry wolf), proactive compaction (kcompactd every 500 ms), per-vCPU statistics folded every
 * second (vmstat) and pressure-stall averages every 2 s (PSI, which nothing in the lab reads).
 * The largest: khugepaged, which every 10 s scanned memory for pages to merge into huge pages,
 * 150 ms of host CPU each time (1.5 % of a core on its own); merging would also copy pages a
 * clone shares with its template.
 */
const IDLE_QUIET_ARGS = ['nowatchdog', 'psi=0', 'sysctl.vm.stat_interval=10'];
/**
 * Only where the guest cannot hand freed pages back (RAM in a file: a template and its clones).
 * Free page reporting returns whole 2 MiB blocks, which huge pages and compaction make: without
 * them a booted sandbox gave back 177 MiB of 400 freed, not 273.
 */
const IDLE_QUIET_ARGS_NO_REPORTING = [
  'transparent_hugepage=never',
  'sysctl.vm.compaction_proactiveness=0',
];

/**
 * Under software emulation the guest calibrates its TSC against an emulated PIT, a timing loop
 * that fails when the host is busy ("tsc: Unable to calibrate against PIT") and then hangs the
 * boot (seen in 1 of 4 boots with two sandboxes starting at once). Telling the kernel the
 * frequency skips the calibration. With KVM, kvmclock provides it.
 */
export function kernelCommandLine(
  accel: Accel,
  tscKhz: number | undefined,
  reportsFreePages: boolean,
): string {
  const quiet = reportsFreePages
    ? IDLE_QUIET_ARGS
    : [...IDLE_QUIET_ARGS, ...IDLE_QUIET_ARGS_NO_REPORTING];
  const args = ['console=ttyS0', 'quiet', 'panic=-1', ...quiet, ...guestLimitArgs()];
  if (accel === 'tcg' && tscKhz) args.push(`tsc_early_khz=${tscKhz}`);
  // Under software emulation the kernel's TSC sync check between vCPUs fails (they run one
  // after another on host threads), so it marks the TSC unstable and falls back to the
  // jiffies clocksource: no high-resolution timers and no tickless idle, a tick on every vCPU
  // 250 times a second, which kept an idle sandbox at 14 % of a host core. Every vCPU reads
  // the same host TSC here, so it is reliable.
  if (accel === 'tcg') args.push('tsc=reliable');
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
  const memory = o.memoryFile
    ? [
        '-object',
        `memory-backend-file,id=ram0,size=${o.memoryMiB}M,mem-path=${o.memoryFile.path},share=${o.memoryFile.share ? 'on' : 'off'}`,
      ]
    : [];
  const control = [
    ...(o.qmpSocket ? ['-qmp', `unix:${o.qmpSocket},server=on,wait=off`] : []),
    ...(o.incoming ? ['-incoming', 'defer'] : []),
  ];
  return [
    '-name',
    `${SANDBOX_PROCESS_NAME},process=${SANDBOX_PROCESS_NAME}`,
    '-M',
    o.memoryFile ? 'microvm,memory-backend=ram0' : 'microvm',
    ...memory,
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
    kernelCommandLine(o.accel, o.tscKhz, !o.memoryFile),
    '-drive',
    `id=root,file=${o.image.rootfs},format=raw,if=none,readonly=on`,
    '-device',
    'virtio-blk-device,drive=root',
    // Pages the guest frees go back to the host (the guest loads virtio_balloon). Not with RAM
    // in a file (a template and its clones): QEMU before 8.1 discards a reported page of a
    // private file mapping by punching a hole in the file itself, which would zero pages of the
    // shared template under every other clone. Build and clones must agree (migrated state).
    '-device',
    o.memoryFile ? 'virtio-balloon-device' : 'virtio-balloon-device,free-page-reporting=on',
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
    ...control,
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

/**
 * The machine a template freezes, without what differs per sandbox (socket and file paths, the
 * host's TSC rate): two sandboxes with the same shape can share a template.
 */
export function templateArgsShape(o: Omit<QemuOptions, 'agentSocket' | 'tscKhz'>): string[] {
  return qemuArgs({
    ...o,
    // The kernel command line only matters at boot, and "cpu MHz" wanders on some hosts:
    // leave the TSC rate out, or the key would change under a running lab.
    tscKhz: undefined,
    agentSocket: 'AGENT',
    memoryFile: { path: 'RAM', share: false },
    qmpSocket: 'QMP',
    incoming: true,
  });
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
  /** Restore from a VM template when one fits (default true); else always boot cold. */
  template?: boolean;
  /** Where templates live (default: templatesDir()). */
  templatesDir?: string;
}

/** How a sandbox starts: booted, restored from a template, or booted to become a template. */
export interface BootPlan {
  restore?: VmTemplate;
  /** Boot with the RAM shared in this file, and a QMP socket to save the machine. */
  templateMemory?: string;
}

export type QemuConfig = Omit<QemuOptions, 'agentSocket'> & { hostCpus: number | null };

export class QemuSandboxDriver implements SandboxDriver {
  readonly name = 'qemu';

  constructor(private readonly options: QemuDriverOptions = {}) {}

  private async image(): Promise<GuestImage> {
    const image = this.options.image ?? (await findImage());
    if (!image) {
      throw new SandboxError(
        'The guest image is not built: run `ebpf-lab image build` (npm start and npm test do it for you).',
      );
    }
    return image;
  }

  /** The machine this driver starts with `accel`, and the key of the template that fits it. */
  async machine(accel?: Accel): Promise<{ config: QemuConfig; spec: TemplateSpec; key: string }> {
    const image = await this.image();
    const chosen = accel ?? this.options.accel ?? chooseAccel().accel;
    const config: QemuConfig = {
      image,
      accel: chosen,
      memoryMiB: this.options.memoryMiB ?? LIMITS.sandboxMemoryMiB.value,
      tscKhz: hostTscKhz(readFileSync('/proc/cpuinfo', 'utf8')),
      cpus: this.options.cpus ?? 2,
      hostCpus:
        this.options.hostCpus === undefined ? LIMITS.sandboxHostCpus.value : this.options.hostCpus,
    };
    const spec: TemplateSpec = {
      imageId: image.id,
      accel: chosen,
      memoryMiB: config.memoryMiB,
      cpus: config.cpus,
      argsShape: templateArgsShape(config),
    };
    return { config, spec, key: templateKey(spec) };
  }

  get templatesDir(): string | undefined {
    return this.options.templatesDir;
  }

  async start(options: SandboxStartOptions = {}): Promise<Sandbox> {
    await this.image();
    const choice = this.options.accel
      ? { accel: this.options.accel, reason: 'chosen by the caller' }
      : chooseAccel();
    const start = async (accel: Accel, timeoutMs: number) => {
      const { config, key } = await this.machine(accel);
      const restored = await this.restore(config, key, options);
      if (restored) return restored;
      options.onProgress?.(`booting the sandbox (${accel}: ${choice.reason})`);
      return QemuSandbox.boot(config, timeoutMs, options);
    };
    if (choice.accel === 'kvm') {
      try {
        return await start('kvm', LIMITS.kvmBootTimeoutMs.value);
      } catch (error) {
        if (options.signal?.aborted) throw error;
        options.onProgress?.(
          `KVM boot failed (${(error as Error).message.split('\n')[0]}); falling back to software emulation`,
        );
      }
    }
    return start('tcg', LIMITS.bootTimeoutMs.value);
  }

  /**
   * A sandbox restored from the template that fits `config`, or undefined (saying why) when
   * there is none or the restore fails: the caller then boots cold. A failed restore is a real
   * fault (a template that looked intact), so it is also logged.
   */
  private async restore(
    config: QemuConfig,
    key: string,
    options: SandboxStartOptions,
  ): Promise<QemuSandbox | undefined> {
    if (this.options.template === false) return undefined;
    const found = findTemplate(key, config.memoryMiB, this.options.templatesDir);
    if ('missing' in found) {
      options.onProgress?.(`no usable template (${found.missing}): booting cold`);
      return undefined;
    }
    options.onProgress?.(`restoring the sandbox from template ${key} (${config.accel})`);
    try {
      const sandbox = await QemuSandbox.boot(config, LIMITS.restoreTimeoutMs.value, options, {
        restore: found.template,
      });
      markTemplateUsed(found.template);
      return sandbox;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const why = (error as Error).message.split('\n')[0];
      const text = `template ${key} could not be restored (${why}): booting cold`;
      options.onProgress?.(text);
      process.stderr.write(`ebpf-lab: ${text}\n`);
      return undefined;
    }
  }
}

export class QemuSandbox implements Sandbox {
  private stopping = false;
  private consoleTail = '';
  readonly exited: Promise<SandboxExit>;
  kernel = '';
  tools: ToolVersion[] = [];
  bootMs = 0;
  startedFrom: 'boot' | 'template' = 'boot';
  private qmp: QmpClient | undefined;

  private constructor(
    readonly mode: Accel,
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly cpuCap: CpuCap,
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

  favour(): () => void {
    return this.cpuCap.favour();
  }

  /** The host end of this sandbox's agent port: its own, never another sandbox's. */
  get agentSocket(): string {
    return join(this.dir, 'agent.sock');
  }

  /** The last lines the guest printed on its console: for diagnosing a failed boot. */
  get console(): string {
    return this.consoleTail;
  }

  static async boot(
    config: QemuConfig,
    timeoutMs: number,
    options: SandboxStartOptions,
    plan: BootPlan = {},
  ): Promise<QemuSandbox> {
    const started = performance.now();
    const dir = mkdtempSync(join(tmpdir(), 'ebpf-lab-sandbox-'));
    const agentSocket = join(dir, 'agent.sock');
    const qmpSocket = plan.restore || plan.templateMemory ? join(dir, 'qmp.sock') : undefined;
    const memoryFile = plan.restore
      ? { path: plan.restore.memory, share: false }
      : plan.templateMemory
        ? { path: plan.templateMemory, share: true }
        : undefined;
    const args = qemuArgs({
      ...config,
      agentSocket,
      memoryFile,
      qmpSocket,
      incoming: plan.restore !== undefined,
    });
    // A clone reads the template's device state from its fd 3 (`migrate-incoming fd:3`).
    const stateFd = plan.restore ? openSync(plan.restore.state, 'r') : undefined;
    const child = spawnQemu(args, {
      stdio: ['ignore', 'pipe', 'pipe', ...(stateFd === undefined ? [] : [stateFd])],
    });
    if (stateFd !== undefined) closeSync(stateFd);
    const cpuCap =
      config.hostCpus === null
        ? uncappedCpu('uncapped by request')
        : capCpu(child.pid, basename(dir), config.hostCpus);
    if (!cpuCap.applied && config.hostCpus !== null) warnUncapped(cpuCap.reason);
    const sandbox = new QemuSandbox(config.accel, child, dir, cpuCap);
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
    const race = <T>(step: Promise<T>) => Promise.race([step, spawnError, died, aborted, timedOut]);
    try {
      if (qmpSocket) {
        sandbox.qmp = await race(QmpClient.connect(qmpSocket, timeoutMs, () => sandbox.isAlive));
      }
      if (plan.restore) await race(sandbox.incoming());
      await race(sandbox.connect(agentSocket, timeoutMs));
      const ready = await race(sandbox.agent.handshake(timeoutMs));
      if (plan.restore) {
        await race(sandbox.resume(timeoutMs));
        sandbox.startedFrom = 'template';
      }
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

  /**
   * Loads the template's device state. Its RAM is already mapped (the memory backend); with
   * `x-ignore-shared` the state file holds no RAM, and qemu starts the guest when it is loaded.
   */
  private async incoming(): Promise<void> {
    const qmp = this.requireQmp();
    await qmp.execute('migrate-set-capabilities', {
      capabilities: [{ capability: 'x-ignore-shared', state: true }],
    });
    await qmp.execute('migrate-incoming', { uri: 'fd:3' });
    for (;;) {
      const { status } = (await qmp.execute('query-status')) as { status: string };
      if (status === 'running') return;
      // The template was saved paused, and qemu restores that state: resume it.
      if (status === 'paused') {
        await qmp.execute('cont');
        continue;
      }
      if (status !== 'inmigrate' && status !== 'prelaunch') {
        throw new SandboxError(`the template did not load (qemu status: ${status})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** The clone wakes with the template's clock and random state: give it the host's. */
  private async resume(timeoutMs: number): Promise<void> {
    const id = randomUUID();
    const answer = this.agent.waitFor('resumed', (m) => m.id === id, timeoutMs);
    this.agent.send({
      type: 'resume',
      id,
      epochMs: Date.now(),
      entropy: randomBytes(64).toString('base64'),
    });
    await answer;
  }

  private requireQmp(): QmpClient {
    if (!this.qmp) throw new SandboxError('this sandbox has no QMP socket');
    return this.qmp;
  }

  /**
   * Freezes this sandbox (booted with `templateMemory`) into a template: pauses the guest and
   * migrates its device state to `statePath` (the RAM stays in the shared memory file), then
   * stops qemu. qemu writes to a unix socket we listen on: no shell command in between.
   */
  async saveState(statePath: string): Promise<void> {
    const qmp = this.requireQmp();
    const socketPath = join(this.dir, 'migrate.sock');
    const out = createWriteStream(statePath);
    const written = new Promise<void>((resolve, reject) => {
      out.on('finish', resolve);
      out.on('error', reject);
    });
    const server = createServer((socket) => {
      socket.pipe(out);
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      await qmp.execute('stop');
      await qmp.execute('migrate-set-capabilities', {
        capabilities: [{ capability: 'x-ignore-shared', state: true }],
      });
      await qmp.execute('migrate', { uri: `unix:${socketPath}` });
      for (;;) {
        const info = (await qmp.execute('query-migrate')) as {
          status?: string;
          'error-desc'?: string;
        };
        if (info.status === 'completed') break;
        if (info.status === 'failed' || info.status === 'cancelled') {
          throw new QmpError(`saving the template failed: ${info['error-desc'] ?? info.status}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await written;
    } finally {
      server.close();
      out.end();
    }
    await this.stop();
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
      this.qmp?.close();
      // The guest is stateless (read-only image, tmpfs overlay): nothing to shut down cleanly.
      this.child.kill('SIGKILL');
    }
    await this.exited;
  }
}
