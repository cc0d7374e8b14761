/**
 * Booted sandboxes kept ready, so a learner's Run is a message to a warm worker, not a boot.
 * `acquire` hands out a live sandbox (the caller owns it from then on and stops it) and starts
 * a replacement in the background; a warm sandbox that died while waiting is skipped, so the
 * next run after a crash always gets a fresh one.
 */
import type { Sandbox, SandboxDriver, SandboxStartOptions } from './sandbox.js';

export class SandboxPool {
  private readonly warm: Promise<Sandbox>[] = [];
  private closed = false;

  constructor(
    private readonly driver: SandboxDriver,
    /** How many sandboxes to keep booted ahead of need. */
    private readonly size = 1,
  ) {}

  /** Starts booting sandboxes until `size` are warm or on their way. */
  fill(): void {
    while (!this.closed && this.warm.length < this.size) {
      const booting = this.driver.start();
      // A failed warm boot is reported by the `acquire` that takes it, not as an unhandled error.
      booting.catch(() => {});
      this.warm.push(booting);
    }
  }

  async acquire(options: SandboxStartOptions = {}): Promise<Sandbox> {
    if (this.closed) throw new Error('the sandbox pool is closed');
    const next = this.warm.shift();
    this.fill();
    if (next) {
      const sandbox = await next.catch((error: unknown) => {
        options.onProgress?.(
          `a warm sandbox failed to boot (${(error as Error).message}); booting another`,
        );
        return undefined;
      });
      if (sandbox?.isAlive) return sandbox;
      await sandbox?.stop();
    }
    return this.driver.start(options);
  }

  /** Stops every warm sandbox that was not handed out. */
  async close(): Promise<void> {
    this.closed = true;
    const pending = this.warm.splice(0);
    await Promise.all(
      pending.map((booting) => booting.then((sandbox) => sandbox.stop()).catch(() => undefined)),
    );
  }
}
