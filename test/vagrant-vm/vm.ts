/**
 * Boots the Vagrant-equivalent test VM: qemu's microvm under software emulation (or KVM when
 * usable), the base image as a throw-away snapshot, the repository and test tools disks,
 * user-mode networking (apt and npm reach the network through this host) with the lab's port
 * 3000 forwarded to 127.0.0.1:`port`, and the serial console on qemu's stdio: everything the
 * guest prints is kept (and appended to `consoleLog`), and `type()` writes to the root shell on
 * that console.
 *
 * qemu never outlives the test: it is started like a sandbox's (`spawnQemu`: under `setpriv
 * --pdeathsig KILL`, killed on process exit), carries `ebpf-lab-sandbox-vagrant-vm` in its argv
 * (which `npm test`'s orphan check looks for), and is killed by `stop()`.
 */
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { isProcessAlive } from '../../runner/image/build.js';
import { chooseAccel } from '../../runner/sandbox/accel.js';
import { hostTscKhz, SANDBOX_PROCESS_NAME, spawnQemu } from '../../runner/sandbox/qemu.js';
import { makeRepoDisk, makeToolsDisk, type VmImage } from './image.js';

export const VM_PROCESS_NAME = `${SANDBOX_PROCESS_NAME}-vagrant-vm`;

export interface VmOptions {
  image: VmImage;
  memoryMiB?: number;
  cpus?: number;
  /** The whole console is appended to this file as it arrives. */
  consoleLog?: string;
}

/** A free TCP port on 127.0.0.1 (for the forwarded lab port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Run folders (qemu's snapshot overlay: gigabytes) left by test processes that died. */
function removeDeadRuns(cacheDir: string): void {
  for (const entry of readdirSync(cacheDir)) {
    const pid = Number(/^run-(\d+)-/.exec(entry)?.[1]);
    if (pid && !isProcessAlive(pid))
      rmSync(join(cacheDir, entry), { recursive: true, force: true });
  }
}

export class VagrantVm {
  console = '';
  private stopping = false;
  private readonly exited: Promise<string>;
  private exitDetail: string | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
    readonly accel: string,
    private readonly consoleLog: string | undefined,
  ) {
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.console += text;
      if (this.consoleLog) appendFileSync(this.consoleLog, text);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        rmSync(this.dir, { recursive: true, force: true });
        this.exitDetail = signal ? `qemu killed by ${signal}` : `qemu exited with code ${code}`;
        if (signal === 'SIGKILL' && !this.stopping) {
          // Not by us (`npm test`'s orphan check kills only its own run's sandboxes, after the
          // tests): the kernel's OOM killer, or a person.
          this.exitDetail += ' (not by this test: the OOM killer? see dmesg)';
        }
        resolve(this.exitDetail);
      });
    });
  }

  static async boot(options: VmOptions): Promise<VagrantVm> {
    removeDeadRuns(join(options.image.dir, '..'));
    const dir = mkdtempSync(join(options.image.dir, '..', `run-${process.pid}-`));
    const repoDisk = await makeRepoDisk(dir);
    const toolsDisk = await makeToolsDisk(dir);
    const port = await freePort();
    const { accel } = chooseAccel();
    const tscKhz = hostTscKhz(readFileSync('/proc/cpuinfo', 'utf8'));
    const cmdline = [
      'console=ttyS0',
      `root=LABEL=ebpf-lab-vm`,
      'ro',
      'net.ifnames=0',
      'panic=-1',
      ...(accel === 'tcg' && tscKhz ? [`tsc_early_khz=${tscKhz}`] : []),
    ].join(' ');
    const args = [
      '-name',
      `${VM_PROCESS_NAME},process=${VM_PROCESS_NAME}`,
      '-M',
      'microvm',
      '-accel',
      accel,
      '-cpu',
      accel === 'kvm' ? 'host' : 'max',
      '-m',
      String(options.memoryMiB ?? 3072),
      '-smp',
      String(options.cpus ?? 2),
      '-kernel',
      options.image.kernel,
      '-initrd',
      options.image.initrd,
      '-append',
      cmdline,
      // The base image is shared and cached: the VM writes to a temporary overlay.
      '-drive',
      `id=root,file=${options.image.root},format=raw,if=none,snapshot=on,cache=unsafe`,
      '-device',
      'virtio-blk-device,drive=root',
      '-drive',
      `id=repo,file=${repoDisk},format=raw,if=none,readonly=on`,
      '-device',
      'virtio-blk-device,drive=repo',
      '-drive',
      `id=tools,file=${toolsDisk},format=raw,if=none`,
      '-device',
      'virtio-blk-device,drive=tools',
      '-netdev',
      `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:3000`,
      '-device',
      'virtio-net-device,netdev=n0',
      '-device',
      'virtio-rng-device',
      '-display',
      'none',
      '-serial',
      'stdio',
      '-monitor',
      'none',
      '-no-reboot',
    ];
    if (options.consoleLog) {
      mkdirSync(dirname(options.consoleLog), { recursive: true });
      appendFileSync(
        options.consoleLog,
        `\n==== ${new Date().toISOString()} qemu ${args.join(' ')}\n`,
      );
    }
    // qemu's temporary snapshot overlay goes to TMPDIR: keep it next to the cached image.
    const child = spawnQemu(args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TMPDIR: dir },
    });
    child.on('error', () => {});
    return new VagrantVm(child, dir, port, accel, options.consoleLog);
  }

  get isAlive(): boolean {
    return this.exitDetail === undefined;
  }

  /** Types `text` on the serial console (the root shell there). */
  type(text: string): void {
    this.child.stdin?.write(text);
  }

  /** The last `lines` lines of the console, for failure messages. */
  tail(lines = 60): string {
    return this.console.split('\n').slice(-lines).join('\n');
  }

  /**
   * Waits until `pattern` matches the console after offset `from`; rejects, with the console's
   * tail, on timeout or when qemu exits.
   */
  async waitForConsole(
    pattern: RegExp,
    timeoutMs: number,
    from = 0,
  ): Promise<RegExpExecArray & { end: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.console.slice(from));
      if (match) return Object.assign(match, { end: from + match.index + match[0].length });
      if (!this.isAlive) {
        throw new Error(`${this.exitDetail} before ${pattern} appeared; console:\n${this.tail()}`);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${pattern} did not appear on the console within ${timeoutMs / 1000} s; console:\n${this.tail()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /**
   * Types `command` into the root shell on the console, its output piped through `cat` (no TTY,
   * as Vagrant's SSH runs a provisioner), and waits for the `<marker> <code>` line the command
   * prints when it ends. Returns that code and the console from the typing to the marker.
   */
  async runInConsole(
    command: string,
    marker: string,
    timeoutMs: number,
  ): Promise<{ code: number; output: string }> {
    const from = this.console.length;
    this.type('\r');
    this.type(`${command} 2>&1 | cat\r`);
    const exit = await this.waitForConsole(new RegExp(`${marker} (\\d+)`), timeoutMs, from);
    return { code: Number(exit[1]), output: this.console.slice(from, exit.end) };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.isAlive) this.child.kill('SIGKILL');
    await this.exited;
  }
}
