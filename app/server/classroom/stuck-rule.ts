/**
 * The stuck rule: from what a learner did on the lesson they are on (and the time now), whether
 * they need the instructor, and why, so the class dashboard can float them to the top with the
 * reason shown. A pure function; the thresholds are the named constants below.
 *
 * A learner is stuck when, in this order of precedence:
 * 1. their hand is up ("Raise hand" in their lab): they asked;
 * 2. their last FAILED_CHECKS_IN_A_ROW checks of the lesson failed, with no pass between;
 * 3. their last FAILED_RUNS_IN_A_ROW runs failed (did not compile, rejected by the verifier,
 *    could not attach, hit a limit), with no run that attached between;
 * 4. they have been active on the lesson for LONG_ON_LESSON_MS without a passing check.
 *
 * Runs and checks keep separate counts: a probe that attaches does not mean the lesson's checks
 * pass, and the reverse. A run that failed inside the lab (`internal`) is the lab's fault, not
 * the learner's: it neither counts nor breaks a run of failures.
 */
import type { RunErrorKind } from '../../../runner/protocol/messages.js';
import type { StuckReason } from '../../shared/classroom-api.js';

/** Checks of one lesson failing this many times in a row: the learner is stuck. */
export const FAILED_CHECKS_IN_A_ROW = 3;
/**
 * Runs of one lesson failing this many times in a row: the learner is stuck. Three verifier
 * rejections of the same idea is where a beginner stops learning from the message.
 */
export const FAILED_RUNS_IN_A_ROW = 3;
/**
 * Active time on one lesson without a passing check after which the learner is stuck: about
 * twice what most lessons take a beginner.
 */
export const LONG_ON_LESSON_MS = 15 * 60_000;
/**
 * A gap between two signs of activity longer than this is time away (a break, another tab),
 * not time spent on the lesson; shorter gaps are reading and thinking, and count.
 */
export const ACTIVE_GAP_MS = 5 * 60_000;

/** What became of a Run: it attached, or the kind of error that stopped it. */
export type RunOutcome = 'attached' | RunErrorKind;

/** Something the learner did on the lesson; times are milliseconds since the epoch. */
export type LessonEvent =
  | { kind: 'run'; at: number; outcome: RunOutcome }
  | { kind: 'check'; at: number; passed: boolean }
  /** Any other sign of work on the lesson: opening it, editing, typing in the shell. */
  | { kind: 'active'; at: number };

export interface StuckInput {
  /** The learner's events on the lesson they are on now, in any order. */
  events: readonly LessonEvent[];
  /** When their hand went up, if it is up now (a hand stays up across lessons). */
  handRaisedAt?: number;
  now: number;
}

export type { StuckReason };

export type StuckVerdict =
  | { stuck: false }
  | {
      stuck: true;
      reason: StuckReason;
      /** For the dashboard, e.g. "3 runs in a row failed (last: rejected by the verifier)". */
      detail: string;
      /** When the learner became stuck: the dashboard puts the longest stuck first. */
      since: number;
    };

const RUN_FAILURE: Record<Exclude<RunOutcome, 'attached' | 'internal'>, string> = {
  compile: 'did not compile',
  verifier: 'rejected by the verifier',
  attach: 'could not attach',
  limit: 'hit a limit',
};

export function stuckVerdict({ events, handRaisedAt, now }: StuckInput): StuckVerdict {
  if (handRaisedAt !== undefined) {
    return {
      stuck: true,
      reason: 'hand-raised',
      detail: `raised a hand ${minutes(now - handRaisedAt)} ago`,
      since: handRaisedAt,
    };
  }
  const ordered = [...events].sort((a, b) => a.at - b.at);

  const checks = failuresInARow(ordered, (e) =>
    e.kind === 'check' ? (e.passed ? 'pass' : 'fail') : 'skip',
  );
  if (checks.length >= FAILED_CHECKS_IN_A_ROW) {
    return {
      stuck: true,
      reason: 'failing-checks',
      detail: `${checks.length} checks in a row failed`,
      since: becameStuckAt(checks, FAILED_CHECKS_IN_A_ROW),
    };
  }

  const runs = failuresInARow(ordered, (e) => {
    if (e.kind !== 'run' || e.outcome === 'internal') return 'skip';
    return e.outcome === 'attached' ? 'pass' : 'fail';
  });
  if (runs.length >= FAILED_RUNS_IN_A_ROW) {
    const last = runs.at(-1) as Extract<LessonEvent, { kind: 'run' }>;
    const outcome = last.outcome as keyof typeof RUN_FAILURE;
    return {
      stuck: true,
      reason: 'failing-runs',
      detail: `${runs.length} runs in a row failed (last: ${RUN_FAILURE[outcome]})`,
      since: becameStuckAt(runs, FAILED_RUNS_IN_A_ROW),
    };
  }

  if (!ordered.some((e) => e.kind === 'check' && e.passed)) {
    const crossed = activeTimeCrossing(ordered, now, LONG_ON_LESSON_MS);
    if (crossed !== undefined) {
      return {
        stuck: true,
        reason: 'long-on-lesson',
        detail: `${minutes(activeTime(ordered, now))} on this lesson without a passing check`,
        since: crossed,
      };
    }
  }
  return { stuck: false };
}

/** The failures since the last pass (oldest first); events classed 'skip' do not count. */
function failuresInARow(
  ordered: readonly LessonEvent[],
  classify: (e: LessonEvent) => 'pass' | 'fail' | 'skip',
): LessonEvent[] {
  const failures: LessonEvent[] = [];
  for (const event of ordered) {
    const verdict = classify(event);
    if (verdict === 'pass') failures.length = 0;
    else if (verdict === 'fail') failures.push(event);
  }
  return failures;
}

/** The time of the failure that reached the threshold. */
function becameStuckAt(failures: readonly LessonEvent[], threshold: number): number {
  return (failures[threshold - 1] as LessonEvent).at;
}

/** Each stretch between two moments of activity (now included) no longer than ACTIVE_GAP_MS. */
function* activeStretches(ordered: readonly LessonEvent[], now: number) {
  const times = [...ordered.map((e) => e.at), now];
  for (let i = 1; i < times.length; i++) {
    const from = times[i - 1] as number;
    const to = times[i] as number;
    // An event stamped after `now` (clocks disagree) adds nothing rather than taking away.
    if (to >= from && to - from <= ACTIVE_GAP_MS) yield { from, to };
  }
}

function activeTime(ordered: readonly LessonEvent[], now: number): number {
  let total = 0;
  for (const { from, to } of activeStretches(ordered, now)) total += to - from;
  return total;
}

/** When active time on the lesson reached `limit`, or undefined if it has not. */
function activeTimeCrossing(
  ordered: readonly LessonEvent[],
  now: number,
  limit: number,
): number | undefined {
  let total = 0;
  for (const { from, to } of activeStretches(ordered, now)) {
    if (total + (to - from) >= limit) return from + (limit - total);
    total += to - from;
  }
  return undefined;
}

function minutes(ms: number): string {
  const n = Math.max(0, Math.floor(ms / 60_000));
  return n === 1 ? '1 min' : `${n} min`;
}
