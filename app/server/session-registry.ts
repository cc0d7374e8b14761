/**
 * Learner sessions by learner id (a cookie). Sessions are cheap; sandboxes are not, so the
 * host's capacity is counted in sandbox slots (SandboxSlots): a learner who finds them all
 * taken waits in line, told their place, with the lesson and editor still usable. What one
 * client can hold is bounded too: sessions per client address and tabs per learner, so a
 * script minting cookies or opening tabs cannot take the lab from everyone else.
 */

import type { Sandbox, SandboxStartOptions } from '../../runner/sandbox/sandbox.js';
import type { ServerMessage } from '../shared/protocol.js';
import { ordinal, type ReclaimPolicy, SandboxSlots } from './sandbox-slots.js';
import {
  LearnerSession,
  type SandboxSource,
  type SessionHooks,
  type SessionLive,
  type SessionOptions,
} from './session.js';

export class LabFullError extends Error {}

export interface RegistryLimits {
  /** Sandboxes at once on this server. */
  sandboxSlots: number;
  /** Learners (cookies) with a session from one client address; undefined: no bound. */
  sessionsPerAddress?: number;
  /** Learners with a session, sandbox or not (those waiting included). */
  maxSessions: number;
  reclaim?: ReclaimPolicy;
}

export class SessionRegistry {
  private readonly sessions = new Map<string, { session: LearnerSession; address: string }>();
  readonly slots: SandboxSlots;

  constructor(
    private readonly source: SandboxSource,
    private readonly options: SessionOptions,
    private readonly limits: RegistryLimits,
    private readonly hooks?: SessionHooks,
  ) {
    this.slots = new SandboxSlots(limits.sandboxSlots, limits.reclaim);
  }

  get size(): number {
    return this.sessions.size;
  }

  /**
   * The learner's session, created on first use from client `address`; throws LabFullError,
   * saying why, when that address or the server already holds as many sessions as allowed.
   */
  get(learnerId: string, address = ''): LearnerSession {
    const existing = this.sessions.get(learnerId);
    if (existing) return existing.session;
    const perAddress = this.limits.sessionsPerAddress;
    if (perAddress !== undefined && this.countFrom(address) >= perAddress) {
      throw new LabFullError(
        `${perAddress} learners already use this lab from your network address (sessionsPerAddress). Close the lab in another browser, or ask your instructor.`,
      );
    }
    if (this.sessions.size >= this.limits.maxSessions) {
      throw new LabFullError(
        `The lab has as many learners as it can take (${this.limits.maxSessions}, maxSessions). Try again in a few minutes: a learner's session ends a minute after they close the lab.`,
      );
    }
    let session: LearnerSession | undefined;
    const gated: SandboxSource = {
      acquire: (options) => this.acquireSlotted(session as LearnerSession, options),
    };
    session = new LearnerSession(
      learnerId,
      gated,
      this.options,
      (ended) => {
        if (this.sessions.get(ended.id)?.session === ended) this.sessions.delete(ended.id);
      },
      this.hooks,
    );
    this.sessions.set(learnerId, { session, address });
    return session;
  }

  /** The learner's session if they have one (never creates one). */
  find(learnerId: string): LearnerSession | undefined {
    return this.sessions.get(learnerId)?.session;
  }

  /** What the learner's session is doing, with their place in line for a sandbox. */
  liveOf(learnerId: string): SessionLive | undefined {
    const session = this.find(learnerId);
    if (!session) return undefined;
    const place = this.slots.placeOf(session);
    return place === undefined ? session.live : { ...session.live, queuePlace: place };
  }

  /** The host processes of the sandboxes learners hold now (not the warm ones). */
  sandboxPids(): number[] {
    return [...this.sessions.values()].flatMap(({ session }) =>
      session.sandboxPid === undefined ? [] : [session.sandboxPid],
    );
  }

  /** Tells every open tab of every learner. */
  notifyAll(message: ServerMessage): void {
    for (const { session } of this.sessions.values()) session.notify(message);
  }

  async closeAll(): Promise<void> {
    this.slots.close();
    await Promise.all([...this.sessions.values()].map(({ session }) => session.dispose()));
    this.sessions.clear();
  }

  private countFrom(address: string): number {
    let count = 0;
    for (const entry of this.sessions.values()) if (entry.address === address) count++;
    return count;
  }

  /** A sandbox once a slot is free; the slot goes back when that sandbox stops. */
  private async acquireSlotted(
    holder: LearnerSession,
    options: SandboxStartOptions = {},
  ): Promise<Sandbox> {
    const slot = await this.slots.acquire(
      holder,
      (place, inUse) =>
        options.onProgress?.(
          `every sandbox is in use (${inUse} of ${this.slots.capacity}): you are ${ordinal(place)} in line. ` +
            'The lesson and the editor work meanwhile; your sandbox starts by itself.',
        ),
      options.signal,
    );
    try {
      const sandbox = await this.source.acquire(options);
      void sandbox.exited.then(() => slot.release());
      return sandbox;
    } catch (error) {
      slot.release();
      throw error;
    }
  }
}
