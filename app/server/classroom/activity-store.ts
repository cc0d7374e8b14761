/**
 * What learners do, as the database keeps it: each Run's and Check's outcome (table `events`),
 * raised hands (`hand_raises`) and time spent per lesson (`lesson_time`). Writes only; the
 * class report reads. Every write first makes sure the learner has a row (foreign keys).
 */
import type { LabDatabase } from '../db/database.js';
import type { RunOutcome } from './stuck-rule.js';

/** How a lesson's checks went, for the record. */
export interface CheckSummary {
  passed: boolean;
  checksPassed: number;
  checksTotal: number;
  /** The first failing check's title and what it saw, one line. */
  firstErrorLine?: string;
}

/** Time to add to a learner's lesson; `at`: their latest action on it. */
export interface TimeEntry {
  learnerId: string;
  lessonId: string;
  ms: number;
  at: number;
}

export type HandLoweredBy = 'learner' | 'instructor';

/** An error's first line is what a dashboard row has room for. */
export const MAX_ERROR_LINE_CHARS = 300;

const ADD_LEARNER = 'INSERT OR IGNORE INTO learners (id, created_at) VALUES (?, ?)';

export class ActivityStore {
  constructor(
    private readonly db: LabDatabase,
    private readonly now: () => number = Date.now,
  ) {}

  recordRun(learnerId: string, lessonId: string, outcome: RunOutcome, errorText?: string): void {
    const at = this.now();
    this.db.transaction(() => {
      this.db.run(ADD_LEARNER, learnerId, at);
      this.db.run(
        `INSERT INTO events (learner_id, lesson_id, kind, outcome, first_error_line, at)
         VALUES (?, ?, 'run', ?, ?, ?)`,
        learnerId,
        lessonId,
        outcome,
        firstLine(errorText),
        at,
      );
    });
  }

  /** Call in the transaction that also marks the lesson done, when it passed. */
  recordCheck(learnerId: string, lessonId: string, summary: CheckSummary): void {
    const at = this.now();
    this.db.transaction(() => {
      this.db.run(ADD_LEARNER, learnerId, at);
      this.db.run(
        `INSERT INTO events
           (learner_id, lesson_id, kind, outcome, first_error_line, checks_passed, checks_total, at)
         VALUES (?, ?, 'check', ?, ?, ?, ?, ?)`,
        learnerId,
        lessonId,
        summary.passed ? 'passed' : 'failed',
        summary.passed ? null : firstLine(summary.firstErrorLine),
        summary.checksPassed,
        summary.checksTotal,
        at,
      );
    });
  }

  /** Raises the learner's hand (a hand already up stays up, from when it went up). */
  raiseHand(learnerId: string, lessonId: string | undefined): number {
    const at = this.now();
    return this.db.transaction(() => {
      this.db.run(ADD_LEARNER, learnerId, at);
      const up = this.handRaisedAt(learnerId);
      if (up !== undefined) return up;
      this.db.run(
        'INSERT INTO hand_raises (learner_id, lesson_id, raised_at) VALUES (?, ?, ?)',
        learnerId,
        lessonId ?? null,
        at,
      );
      return at;
    });
  }

  /** Lowers the learner's hand; false when it was not up. */
  lowerHand(learnerId: string, by: HandLoweredBy): boolean {
    const { changes } = this.db.run(
      `UPDATE hand_raises SET lowered_at = ?, lowered_by = ?
       WHERE learner_id = ? AND lowered_at IS NULL`,
      this.now(),
      by,
      learnerId,
    );
    return changes > 0;
  }

  /** When the learner's hand went up, if it is up. */
  handRaisedAt(learnerId: string): number | undefined {
    return this.db.value<number>(
      'SELECT raised_at FROM hand_raises WHERE learner_id = ? AND lowered_at IS NULL',
      learnerId,
    );
  }

  /** Adds time spent, in one transaction. */
  addTime(entries: readonly TimeEntry[]): void {
    if (entries.length === 0) return;
    this.db.transaction(() => {
      for (const { learnerId, lessonId, ms, at } of entries) {
        this.db.run(ADD_LEARNER, learnerId, at);
        this.db.run(
          `INSERT INTO lesson_time (learner_id, lesson_id, active_ms, last_active_at)
           VALUES (?, ?, ?, ?)
           ON CONFLICT (learner_id, lesson_id) DO UPDATE SET
             active_ms = active_ms + excluded.active_ms,
             last_active_at = max(last_active_at, excluded.last_active_at)`,
          learnerId,
          lessonId,
          Math.round(ms),
          at,
        );
      }
    });
  }
}

/** The first non-empty line of an error, bounded; null when there is none. */
export function firstLine(text: string | undefined): string | null {
  const line = text
    ?.split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  if (!line) return null;
  return line.length > MAX_ERROR_LINE_CHARS ? `${line.slice(0, MAX_ERROR_LINE_CHARS - 1)}…` : line;
}
