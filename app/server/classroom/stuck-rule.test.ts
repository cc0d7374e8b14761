import { describe, expect, it } from 'vitest';
import {
  ACTIVE_GAP_MS,
  FAILED_CHECKS_IN_A_ROW,
  FAILED_RUNS_IN_A_ROW,
  type LessonEvent,
  LONG_ON_LESSON_MS,
  type RunOutcome,
  stuckVerdict,
} from './stuck-rule.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 12, 9, 0);
const at = (minutes: number) => T0 + minutes * MIN;
const run = (minutes: number, outcome: RunOutcome): LessonEvent => ({
  kind: 'run',
  at: at(minutes),
  outcome,
});
const check = (minutes: number, passed: boolean): LessonEvent => ({
  kind: 'check',
  at: at(minutes),
  passed,
});
const active = (minutes: number): LessonEvent => ({ kind: 'active', at: at(minutes) });
/** `count` events one minute apart from minute `from`. */
const series = (count: number, from: number, make: (minute: number) => LessonEvent) =>
  Array.from({ length: count }, (_, i) => make(from + i));

describe('the stuck rule', () => {
  it('leaves alone a learner who just started, or whose work goes well', () => {
    expect(stuckVerdict({ events: [], now: at(0) })).toEqual({ stuck: false });
    expect(
      stuckVerdict({
        events: [active(0), run(1, 'compile'), run(2, 'attached'), check(3, true)],
        now: at(4),
      }),
    ).toEqual({ stuck: false });
  });

  it(`is stuck after ${FAILED_RUNS_IN_A_ROW} failed runs in a row, from the last of them`, () => {
    const failing = series(FAILED_RUNS_IN_A_ROW, 1, (m) => run(m, 'verifier'));
    expect(stuckVerdict({ events: failing.slice(0, -1), now: at(5) }).stuck).toBe(false);
    expect(stuckVerdict({ events: [active(0), ...failing], now: at(5) })).toEqual({
      stuck: true,
      reason: 'failing-runs',
      detail: `${FAILED_RUNS_IN_A_ROW} runs in a row failed (last: rejected by the verifier)`,
      since: at(FAILED_RUNS_IN_A_ROW),
    });
  });

  it('counts runs that did not compile, attach or stay within limits; names the last', () => {
    const verdict = stuckVerdict({
      events: [run(1, 'verifier'), run(2, 'limit'), run(3, 'attach'), run(4, 'compile')],
      now: at(5),
    });
    expect(verdict).toMatchObject({
      reason: 'failing-runs',
      detail: '4 runs in a row failed (last: did not compile)',
      since: at(FAILED_RUNS_IN_A_ROW),
    });
  });

  it('starts counting runs again after one attaches', () => {
    const events = [
      ...series(FAILED_RUNS_IN_A_ROW - 1, 0, (m) => run(m, 'verifier')),
      run(10, 'attached'),
      ...series(FAILED_RUNS_IN_A_ROW - 1, 11, (m) => run(m, 'verifier')),
    ];
    expect(stuckVerdict({ events, now: at(20) })).toEqual({ stuck: false });
  });

  it("neither counts nor forgives a run the lab itself failed ('internal')", () => {
    const two = [run(1, 'compile'), run(2, 'internal'), run(3, 'compile')];
    expect(stuckVerdict({ events: two, now: at(4) }).stuck).toBe(FAILED_RUNS_IN_A_ROW <= 2);
    const three = [...two, run(4, 'internal'), run(5, 'compile')];
    expect(stuckVerdict({ events: three, now: at(6) })).toMatchObject({
      reason: 'failing-runs',
      since: at(5),
    });
  });

  it('keeps counting failed runs across checks and edits, which are not runs', () => {
    const events = [run(1, 'verifier'), active(2), check(3, false), run(4, 'verifier')];
    events.push(active(5), run(6, 'verifier'));
    expect(stuckVerdict({ events, now: at(7) })).toMatchObject({ reason: 'failing-runs' });
  });

  it(`is stuck after ${FAILED_CHECKS_IN_A_ROW} failed checks in a row, however the runs went`, () => {
    const events = [
      check(0, false),
      run(1, 'attached'),
      check(2, false),
      run(3, 'attached'),
      check(4, false),
    ];
    expect(stuckVerdict({ events, now: at(5) })).toEqual({
      stuck: true,
      reason: 'failing-checks',
      detail: '3 checks in a row failed',
      since: at(4),
    });
    const passedBetween = [check(0, false), check(1, true), check(2, false), check(3, false)];
    expect(stuckVerdict({ events: passedBetween, now: at(4) })).toEqual({ stuck: false });
  });

  it('puts failing checks before failing runs when both hold', () => {
    const events = [
      ...series(FAILED_RUNS_IN_A_ROW, 0, (m) => run(m, 'verifier')),
      ...series(FAILED_CHECKS_IN_A_ROW, 10, (m) => check(m, false)),
    ];
    expect(stuckVerdict({ events, now: at(20) })).toMatchObject({ reason: 'failing-checks' });
  });

  it('is stuck while a hand is up, before anything else', () => {
    const failing = series(FAILED_CHECKS_IN_A_ROW, 0, (m) => check(m, false));
    expect(stuckVerdict({ events: failing, handRaisedAt: at(7), now: at(10) })).toEqual({
      stuck: true,
      reason: 'hand-raised',
      detail: 'raised a hand 3 min ago',
      since: at(7),
    });
    expect(stuckVerdict({ events: [], handRaisedAt: at(9.5), now: at(10) })).toMatchObject({
      detail: 'raised a hand 0 min ago',
    });
  });

  it(`is stuck after ${LONG_ON_LESSON_MS / MIN} min active on a lesson without a passing check`, () => {
    const limit = LONG_ON_LESSON_MS / MIN;
    // Something every 2 minutes up to `minute`: all of it is active time.
    const working = (minute: number) =>
      Array.from({ length: Math.floor(minute / 2) + 1 }, (_, i) => active(i * 2));
    const before = 2 * Math.floor((limit - 1) / 2);
    expect(stuckVerdict({ events: working(before), now: at(before) })).toEqual({ stuck: false });
    const after = before + 2;
    expect(stuckVerdict({ events: working(after), now: at(after) })).toEqual({
      stuck: true,
      reason: 'long-on-lesson',
      detail: `${after} min on this lesson without a passing check`,
      since: at(limit),
    });
    // A pass on the lesson, however long it took, is not stuck.
    const passed = [...working(after), check(after, true)];
    expect(stuckVerdict({ events: passed, now: at(after + 1) })).toEqual({ stuck: false });
  });

  it('does not count time away: gaps longer than the active gap, or since the last event', () => {
    expect(ACTIVE_GAP_MS).toBe(5 * MIN);
    expect(LONG_ON_LESSON_MS).toBe(15 * MIN);
    // 8 minutes of work, an hour away, 4 more: 12 minutes on the lesson, not 72.
    const events = [active(0), active(4), active(8), active(68), active(72)];
    expect(stuckVerdict({ events, now: at(72) })).toEqual({ stuck: false });
    // The minutes since the last event count while they are within the gap: 12 + 3.
    expect(stuckVerdict({ events, now: at(75) })).toMatchObject({
      reason: 'long-on-lesson',
      detail: '15 min on this lesson without a passing check',
      since: at(75),
    });
    // Gone for an hour: that hour is not time on the lesson.
    expect(stuckVerdict({ events, now: at(72 + 60) })).toEqual({ stuck: false });
  });

  it('takes events in any order, and adds no time for one stamped after now', () => {
    const events = [run(3, 'compile'), run(1, 'compile'), run(2, 'attached'), run(4, 'compile')];
    expect(stuckVerdict({ events, now: at(5) })).toEqual({ stuck: false });
    expect(
      stuckVerdict({ events: [...events, run(0, 'compile'), active(99)], now: at(5) }),
    ).toEqual({ stuck: false });
  });
});
