/**
 * Time spent on lessons, measured as the stuck rule measures it: the gap between two actions
 * of a learner counts toward the lesson of the later one when it is at most ACTIVE_GAP_MS
 * (reading, thinking, typing); a longer gap is time away. Kept in memory and handed to the
 * database in batches (`takePending`), so a keystroke costs no disk write.
 *
 * It also keeps recent moments of activity per learner and lesson, thinned out, for the stuck
 * rule's "long on this lesson" (see stuck-rule.ts): a few of the latest lessons per learner.
 */
import type { TimeEntry } from './activity-store.js';
import { ACTIVE_GAP_MS, LONG_ON_LESSON_MS } from './stuck-rule.js';

/** At most one activity moment kept per this long, per learner and lesson. */
const SAMPLE_EVERY_MS = 20_000;
/** Moments kept per learner and lesson: well past LONG_ON_LESSON_MS at one per SAMPLE_EVERY_MS. */
const MAX_SAMPLES = Math.ceil((2 * LONG_ON_LESSON_MS) / SAMPLE_EVERY_MS);
/** Lessons per learner whose moments are kept (a learner flipping between two tabs keeps both). */
const SAMPLED_LESSONS = 4;

interface LearnerTime {
  lessonId: string;
  at: number;
  /** Lesson → activity moments, oldest first; the Map's order is least recently used first. */
  samples: Map<string, number[]>;
}

export class TimeSpent {
  private readonly learners = new Map<string, LearnerTime>();
  private pending = new Map<string, TimeEntry>();

  /** The learner did something on `lessonId` at `at`. */
  active(learnerId: string, lessonId: string, at: number): void {
    const learner = this.learners.get(learnerId);
    if (learner && at - learner.at <= ACTIVE_GAP_MS && at > learner.at) {
      this.add(learnerId, lessonId, at - learner.at, at);
    }
    const samples = learner?.samples ?? new Map<string, number[]>();
    const times = samples.get(lessonId) ?? [];
    samples.delete(lessonId);
    samples.set(lessonId, times);
    if (samples.size > SAMPLED_LESSONS) samples.delete(samples.keys().next().value as string);
    const last = times.at(-1);
    if (last === undefined || at - last >= SAMPLE_EVERY_MS) {
      times.push(at);
      if (times.length > MAX_SAMPLES) times.shift();
    }
    this.learners.set(learnerId, { lessonId, at: Math.max(at, learner?.at ?? at), samples });
  }

  /** Recent moments the learner was active on the lesson, oldest first. */
  samplesOf(learnerId: string, lessonId: string): readonly number[] {
    const learner = this.learners.get(learnerId);
    const times = learner?.samples.get(lessonId) ?? [];
    // The latest moment too, which thinning may have left out.
    return learner && learner.lessonId === lessonId && times.at(-1) !== learner.at
      ? [...times, learner.at]
      : times;
  }

  /** The time added since the last call, to be written; learners long gone are forgotten. */
  takePending(now: number): TimeEntry[] {
    const entries = [...this.pending.values()];
    this.pending = new Map();
    for (const [id, learner] of this.learners) {
      if (now - learner.at > LONG_ON_LESSON_MS + ACTIVE_GAP_MS) this.learners.delete(id);
    }
    return entries;
  }

  private add(learnerId: string, lessonId: string, ms: number, at: number): void {
    const key = `${learnerId}\n${lessonId}`;
    const entry = this.pending.get(key);
    if (entry) {
      entry.ms += ms;
      entry.at = at;
    } else {
      this.pending.set(key, { learnerId, lessonId, ms, at });
    }
  }
}
