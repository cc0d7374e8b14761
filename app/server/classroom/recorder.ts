/**
 * The learner's record, written as their sessions report what happened (the session hooks):
 * each Run's and Check's outcome, the lesson done when its checks pass (in the same
 * transaction as the check's record), raised hands, time spent. It also passes on that a
 * learner's state changed, for the class dashboard. A learner in no class is recorded the same
 * way (their history is theirs if they join a class later) and sees nothing different.
 */
import type { LabDatabase } from '../db/database.js';
import type { ProgressStore } from '../progress.js';
import type { HandState, SessionHooks } from '../session.js';
import type { ActivityStore, CheckSummary } from './activity-store.js';
import type { ClassStore } from './class-store.js';
import type { RunOutcome } from './stuck-rule.js';
import type { TimeSpent } from './time-spent.js';

export interface RecorderParts {
  db: LabDatabase;
  progress: ProgressStore;
  activity: ActivityStore;
  classes: ClassStore;
  time: TimeSpent;
  /** A learner's dashboard row may have changed. */
  changed: (learnerId: string) => void;
  log?: (text: string) => void;
  now?: () => number;
}

export const NOT_IN_A_CLASS = 'Raise hand is for classes: join one with its code first.';

export class Recorder implements Omit<SessionHooks, 'lesson'> {
  private readonly now: () => number;

  constructor(private readonly parts: RecorderParts) {
    this.now = parts.now ?? Date.now;
  }

  async checkFinished(learnerId: string, lessonId: string, summary: CheckSummary): Promise<void> {
    const { db, activity, progress } = this.parts;
    db.transaction(() => {
      activity.recordCheck(learnerId, lessonId, summary);
      if (summary.passed) progress.advanceNow(learnerId, lessonId, 'done');
    });
    this.parts.time.active(learnerId, lessonId, this.now());
    this.changed(learnerId);
  }

  runFinished(learnerId: string, lessonId: string, outcome: RunOutcome, error?: string): void {
    try {
      this.parts.activity.recordRun(learnerId, lessonId, outcome, error);
    } catch (cause) {
      // The run itself went fine for the learner; only its record is missing.
      this.parts.log?.(`a run's outcome was not recorded: ${(cause as Error).message}`);
    }
    this.changed(learnerId);
  }

  active(learnerId: string, lessonId: string | undefined): void {
    if (lessonId !== undefined) this.parts.time.active(learnerId, lessonId, this.now());
  }

  async setHand(
    learnerId: string,
    raised: boolean,
    lessonId: string | undefined,
  ): Promise<HandState> {
    const { activity, classes } = this.parts;
    if (raised) {
      if (classes.classIdsOf(learnerId).length === 0) return { refused: NOT_IN_A_CLASS };
      activity.raiseHand(learnerId, lessonId);
    } else {
      activity.lowerHand(learnerId, 'learner');
    }
    this.changed(learnerId);
    return { raised };
  }

  changed(learnerId: string): void {
    this.parts.changed(learnerId);
  }

  /** Writes the time spent gathered since the last call. */
  flushTime(): void {
    try {
      this.parts.activity.addTime(this.parts.time.takePending(this.now()));
    } catch (cause) {
      this.parts.log?.(`time spent on lessons was not recorded: ${(cause as Error).message}`);
    }
  }
}
