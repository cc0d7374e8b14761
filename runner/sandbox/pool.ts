/**
 * Booted sandboxes kept ready, so a learner's Run is a message to a warm worker, not a boot.
 * `acquire` hands out a live sandbox (the caller owns it from then on and stops it) and starts
 * a replacement in the background; a warm sandbox that died while waiting is skipped, so the
 * next run after a crash always gets a fresh one.
 *
 * Every sandbox handed out is fully warm: one restored from a VM template already is; one
 * booted cold runs the warm-up probe first (BCC imported, clang's first compile paid), so a
 * learner's first Run costs what any later one does.
 */
import type { Sandbox, SandboxDriver, SandboxStartOptions } from './sandbox.js';
import { warmTranslation, warmUp } from './warm-up.js';

interface WarmEntry {
  sandbox: Promise<Sandbox>;
  /** What its start said (a template refused, a cold boot): replayed to whoever takes it. */
  notes: string[];
}

export class SandboxPool {
  private readonly warm: WarmEntry[] = [];
  private closed = false;
  /** How many sandboxes to keep booted ahead of need: none for a driver sharing one kernel. */
  private readonly size: number;

  constructor(
    private readonly driver: SandboxDriver,
    size = 1,
  ) {
    this.size = driver.sharesKernel ? 0 : size;
  }

  /** Starts booting sandboxes until `size` are warm or on their way. */
  fill(): void {
    while (!this.closed && this.warm.length < this.size) {
      const notes: string[] = [];
      const sandbox = startWarm(this.driver, { onProgress: (text) => notes.push(text) });
      // A failed warm boot is reported by the `acquire` that takes it, not as an unhandled error.
      sandbox.catch(() => {});
      // Ahead of need, a restored sandbox also gets the emulator's translation of clang done.
      // In the background: a learner who takes it meanwhile waits for no more than the rest of
      // that compile, which their own first compile would have paid anyway.
      sandbox.then(translateAhead, () => {});
      this.warm.push({ sandbox, notes });
    }
  }

  async acquire(options: SandboxStartOptions = {}): Promise<Sandbox> {
    if (this.closed) throw new Error('the sandbox pool is closed');
    const next = this.warm.shift();
    this.fill();
    if (next) {
      const sandbox = await next.sandbox.catch((error: unknown) => {
        options.onProgress?.(
          `a warm sandbox failed to boot (${(error as Error).message}); booting another`,
        );
        return undefined;
      });
      for (const note of next.notes) options.onProgress?.(note);
      if (sandbox?.isAlive) return sandbox;
      await sandbox?.stop();
    }
    return startWarm(this.driver, options);
  }

  /** Stops every warm sandbox that was not handed out. */
  async close(): Promise<void> {
    this.closed = true;
    const pending = this.warm.splice(0);
    await Promise.all(
      pending.map((entry) =>
        entry.sandbox.then((sandbox) => sandbox.stop()).catch(() => undefined),
      ),
    );
  }
}

function translateAhead(sandbox: Sandbox): void {
  if (sandbox.startedFrom !== 'template' || sandbox.mode !== 'tcg') return;
  // A failure here shows again, with its message, in the learner's own first Run.
  warmTranslation(sandbox).catch(() => {});
}

/** A started sandbox, warmed up unless it came from a (warm) template. */
async function startWarm(driver: SandboxDriver, options: SandboxStartOptions): Promise<Sandbox> {
  const sandbox = await driver.start(options);
  if (sandbox.startedFrom === 'template') return sandbox;
  options.onProgress?.('warming up the sandbox (importing BCC, a first compile)');
  try {
    await warmUp(sandbox);
  } catch (error) {
    // A sandbox that cannot warm up is still handed out if alive: the learner's own Run then
    // shows the real error (a broken BCC, a dead worker) with its message.
    options.onProgress?.(`the warm-up failed (${(error as Error).message})`);
  }
  return sandbox;
}
