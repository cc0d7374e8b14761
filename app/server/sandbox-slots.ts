/**
 * The server's sandbox capacity as slots, handed out first come, first served. A learner who
 * finds every slot taken waits in line and is told their place; nobody is turned away. While
 * someone waits, slots held by learners who are not using them are reclaimed: first a session
 * that never did anything (a tab opened and left, or a forged cookie), then the learner idle
 * longest — never an active one. A slot is released when its sandbox stops, for any reason.
 */

/** What the slots need to know of a session that holds one. */
export interface SlotHolder {
  /** Milliseconds since the learner last did something (a message other than a resize). */
  idleForMs(): number;
  /** Whether the learner has done anything at all since the session began. */
  hasActed(): boolean;
  /** Stop this learner's sandbox to free its slot, telling them why. */
  reclaim(reason: string): void;
}

export interface ReclaimPolicy {
  /** A session that never acted keeps its slot this long when others wait. */
  unusedGraceMs: number;
  /** A learner idle this long gives their slot up when others wait. */
  idleReclaimMs: number;
  /** How often the line looks for a slot to reclaim. */
  checkEveryMs: number;
}

export const DEFAULT_RECLAIM: ReclaimPolicy = Object.freeze({
  unusedGraceMs: 60_000,
  idleReclaimMs: 5 * 60_000,
  checkEveryMs: 2_000,
});

export interface Slot {
  release(): void;
}

interface Waiter {
  holder: SlotHolder;
  grant: (slot: Slot) => void;
  fail: (error: Error) => void;
  onPosition: (place: number, inUse: number) => void;
}

export class SlotsClosedError extends Error {}

export class SandboxSlots {
  private readonly holders = new Set<SlotHolder>();
  private readonly line: Waiter[] = [];
  /** Holders asked to give their slot up, whose sandbox has not stopped yet. */
  private readonly reclaiming = new Set<SlotHolder>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly capacity: number,
    private readonly policy: ReclaimPolicy = DEFAULT_RECLAIM,
  ) {}

  get inUse(): number {
    return this.holders.size;
  }

  get waiting(): number {
    return this.line.length;
  }

  /** The holder's place in line (1 = next), or undefined when it is not waiting. */
  placeOf(holder: SlotHolder): number | undefined {
    const index = this.line.findIndex((waiter) => waiter.holder === holder);
    return index < 0 ? undefined : index + 1;
  }

  /**
   * A slot for `holder`, now or when one frees up; `onPosition` hears the holder's place in
   * line (1 = next) whenever it changes. `signal` takes the holder out of the line.
   */
  acquire(
    holder: SlotHolder,
    onPosition: (place: number, inUse: number) => void = () => {},
    signal?: AbortSignal,
  ): Promise<Slot> {
    if (this.line.length === 0 && this.holders.size < this.capacity) {
      return Promise.resolve(this.grantTo(holder));
    }
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = { holder, grant: resolve, fail: reject, onPosition };
      this.line.push(waiter);
      signal?.addEventListener('abort', () => {
        const index = this.line.indexOf(waiter);
        if (index < 0) return;
        this.line.splice(index, 1);
        reject(new Error('no longer waiting for a sandbox'));
        this.tellPlaces();
      });
      onPosition(this.line.length, this.holders.size);
      this.startReclaiming();
    });
  }

  /** Refuses everyone still in line (the server is stopping). */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const waiter of this.line.splice(0)) {
      waiter.fail(new SlotsClosedError('The lab is shutting down.'));
    }
  }

  private grantTo(holder: SlotHolder): Slot {
    this.holders.add(holder);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.holders.delete(holder);
        this.reclaiming.delete(holder);
        this.admitNext();
      },
    };
  }

  private admitNext(): void {
    while (this.line.length > 0 && this.holders.size < this.capacity) {
      const next = this.line.shift() as Waiter;
      next.grant(this.grantTo(next.holder));
    }
    this.tellPlaces();
    if (this.line.length === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tellPlaces(): void {
    for (const [index, waiter] of this.line.entries()) {
      waiter.onPosition(index + 1, this.holders.size);
    }
  }

  private startReclaiming(): void {
    this.reclaimOne();
    this.timer ??= setInterval(() => this.reclaimOne(), this.policy.checkEveryMs);
    this.timer.unref?.();
  }

  /** Frees at most one slot per waiter, from the least active holder that qualifies. */
  private reclaimOne(): void {
    if (this.reclaiming.size >= this.line.length) return;
    const candidates = [...this.holders]
      .filter((holder) => !this.reclaiming.has(holder))
      .map((holder) => ({ holder, idle: holder.idleForMs(), unused: !holder.hasActed() }))
      .filter(
        ({ idle, unused }) =>
          (unused && idle >= this.policy.unusedGraceMs) || idle >= this.policy.idleReclaimMs,
      )
      .sort((a, b) => Number(b.unused) - Number(a.unused) || b.idle - a.idle);
    const chosen = candidates[0];
    if (!chosen) return;
    this.reclaiming.add(chosen.holder);
    const minutes = Math.floor(chosen.idle / 60_000);
    chosen.holder.reclaim(
      chosen.unused
        ? 'Your sandbox was given to a waiting learner because this tab had not been used yet.'
        : `Your sandbox was given to a waiting learner after ${minutes} min without activity.`,
    );
  }
}

/** "1st", "2nd", "3rd", "11th", "22nd". */
export function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${{ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] ?? 'th'}`;
}
