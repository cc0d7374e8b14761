import { describe, expect, it } from 'vitest';
import { useTempDatabase } from '../../../test/temp-database.js';
import { openProgressStore } from '../progress.js';
import { ActivityStore, firstLine, MAX_ERROR_LINE_CHARS } from './activity-store.js';
import { ClassStore } from './class-store.js';
import { NOT_IN_A_CLASS, Recorder } from './recorder.js';
import { TimeSpent } from './time-spent.js';

const tempDatabase = useTempDatabase();
const ADA = 'a'.repeat(32);

async function setUp() {
  const temp = tempDatabase();
  const { db } = temp;
  let now = 1000;
  const changed: string[] = [];
  const progress = await openProgressStore(db, { now: () => now });
  const classes = new ClassStore(db, () => now);
  const activity = new ActivityStore(db, () => now);
  const time = new TimeSpent();
  const recorder = new Recorder({
    db,
    progress,
    activity,
    classes,
    time,
    changed: (id) => changed.push(id),
    now: () => now,
  });
  return {
    db,
    progress,
    classes,
    activity,
    recorder,
    changed,
    tick: (ms: number) => {
      now += ms;
    },
  };
}

describe('the learner record', () => {
  it('a passing check is recorded and marks the lesson done, in one transaction', async () => {
    const { db, recorder, progress, changed } = await setUp();
    await recorder.checkFinished(ADA, '01-hello', {
      passed: true,
      checksPassed: 3,
      checksTotal: 3,
    });
    expect(progress.stateOf(ADA, '01-hello')).toBe('done');
    expect(db.all('SELECT kind, outcome, checks_passed, checks_total, at FROM events')).toEqual([
      { kind: 'check', outcome: 'passed', checks_passed: 3, checks_total: 3, at: 1000 },
    ]);
    expect(changed).toEqual([ADA]);
  });

  it('a failing check is recorded with its first error line, the lesson not done', async () => {
    const { db, recorder, progress } = await setUp();
    await recorder.checkFinished(ADA, '01-hello', {
      passed: false,
      checksPassed: 1,
      checksTotal: 3,
      firstErrorLine: 'A fork prints Hello: saw no trace lines\nmore',
    });
    expect(progress.stateOf(ADA, '01-hello')).toBe('new');
    expect(db.value('SELECT first_error_line FROM events')).toBe(
      'A fork prints Hello: saw no trace lines',
    );
  });

  it('when the record cannot be written, the lesson is not marked done either', async () => {
    const { db, recorder, progress } = await setUp();
    // A check with more passed than run breaks the events table's CHECK constraint.
    await expect(
      recorder.checkFinished(ADA, '01-hello', { passed: true, checksPassed: 4, checksTotal: 3 }),
    ).rejects.toThrow(/CHECK constraint/);
    expect(progress.stateOf(ADA, '01-hello')).toBe('new');
    expect(db.value('SELECT count(*) FROM events')).toBe(0);
  });

  it("records each run's outcome", async () => {
    const { db, recorder } = await setUp();
    recorder.runFinished(ADA, '02-verifier', 'verifier', 'The verifier rejected it.\nlog…');
    recorder.runFinished(ADA, '02-verifier', 'attached');
    expect(db.all('SELECT outcome, first_error_line FROM events ORDER BY id')).toEqual([
      { outcome: 'verifier', first_error_line: 'The verifier rejected it.' },
      { outcome: 'attached', first_error_line: null },
    ]);
  });

  it('raise hand is for members of a class; up once, lowered by the learner', async () => {
    const { recorder, classes, activity, tick } = await setUp();
    expect(await recorder.setHand(ADA, true, '01-hello')).toEqual({ refused: NOT_IN_A_CLASS });
    classes.join(classes.create('Monday', null).id, ADA, 'Ada');
    expect(await recorder.setHand(ADA, true, '01-hello')).toEqual({ raised: true });
    tick(5000);
    await recorder.setHand(ADA, true, '01-hello');
    expect(activity.handRaisedAt(ADA)).toBe(1000);
    expect(await recorder.setHand(ADA, false, undefined)).toEqual({ raised: false });
    expect(activity.handRaisedAt(ADA)).toBeUndefined();
  });

  it('writes time spent in batches', async () => {
    const { db, recorder, tick } = await setUp();
    recorder.active(ADA, '01-hello');
    tick(30_000);
    recorder.active(ADA, '01-hello');
    recorder.active(ADA, undefined); // no lesson known: nothing to count
    recorder.flushTime();
    tick(10_000);
    recorder.active(ADA, '01-hello');
    recorder.flushTime();
    expect(db.all('SELECT lesson_id, active_ms, last_active_at FROM lesson_time')).toEqual([
      { lesson_id: '01-hello', active_ms: 40_000, last_active_at: 41_000 },
    ]);
  });

  it('an error line is its first non-empty line, bounded', () => {
    expect(firstLine('\n  \n second \n third')).toBe('second');
    expect(firstLine(undefined)).toBeNull();
    expect(firstLine('x'.repeat(1000))?.length).toBe(MAX_ERROR_LINE_CHARS);
  });
});
