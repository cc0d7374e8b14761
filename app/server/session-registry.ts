/**
 * Learner sessions by learner id (a cookie), bounded by the host's capacity: a classroom shares
 * one server, and each session holds a VM.
 */

import type { ServerMessage } from '../shared/protocol.js';
import {
  LearnerSession,
  type SandboxSource,
  type SessionHooks,
  type SessionOptions,
} from './session.js';

export class LabFullError extends Error {}

export class SessionRegistry {
  private readonly sessions = new Map<string, LearnerSession>();

  constructor(
    private readonly source: SandboxSource,
    private readonly options: SessionOptions,
    private readonly maxSessions: number,
    private readonly hooks?: SessionHooks,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** The learner's session, created on first use; throws LabFullError at capacity. */
  get(learnerId: string): LearnerSession {
    const existing = this.sessions.get(learnerId);
    if (existing) return existing;
    if (this.sessions.size >= this.maxSessions) {
      throw new LabFullError(
        `The lab is full: ${this.maxSessions} learners have a sandbox on this server (maxSessions). Try again when someone leaves.`,
      );
    }
    const session = new LearnerSession(
      learnerId,
      this.source,
      this.options,
      (ended) => {
        if (this.sessions.get(ended.id) === ended) this.sessions.delete(ended.id);
      },
      this.hooks,
    );
    this.sessions.set(learnerId, session);
    return session;
  }

  /** Tells every open tab of every learner. */
  notifyAll(message: ServerMessage): void {
    for (const session of this.sessions.values()) session.notify(message);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((session) => session.dispose()));
    this.sessions.clear();
  }
}
