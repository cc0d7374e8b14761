import { describe, expect, it } from 'vitest';
import { useTempDatabase } from '../../../test/temp-database.js';
import { openProgressStore } from '../progress.js';
import type { SessionLive } from '../session.js';
import { activityOf, EDITING_WITHIN_MS } from './activity-state.js';
import { ActivityStore } from './activity-store.js';
import { ClassStore, memberRef } from './class-store.js';
import { buildDashboard, type DashboardSources } from './dashboard.js';
import { TimeSpent } from './time-spent.js';

const tempDatabase = useTempDatabase();
const ADA = 'a'.repeat(32);
const BOB = 'b'.repeat(32);
const CY = 'c'.repeat(32);
const COURSE = [
  { id: '01-hello', title: 'Hello' },
  { id: '02-verifier', title: 'Verifier' },
  { id: '03-maps', title: 'Maps' },
];
const LIVE: SessionLive = {
  tabs: 1,
  lessonId: '01-hello',
  phase: 'ready',
  checking: false,
  attached: false,
  idleMs: 1000,
  sandbox: 'running',
};

async function setUp() {
  const { db } = tempDatabase();
  let now = 1_000_000;
  const clock = () => now;
  const classes = new ClassStore(db, clock);
  const activity = new ActivityStore(db, clock);
  const progress = await openProgressStore(db, { now: clock });
  const live = new Map<string, SessionLive>();
  const sources: DashboardSources = {
    db,
    classes,
    time: new TimeSpent(),
    course: () => COURSE,
    live: (id) => live.get(id),
    slots: () => ({ inUse: 1, capacity: 2, waiting: 0 }),
    baseUrl: 'http://10.0.0.5:3000',
    now: clock,
  };
  return {
    db,
    classes,
    activity,
    progress,
    live,
    sources,
    tick: (ms: number) => {
      now += ms;
    },
  };
}

describe('the class dashboard', () => {
  it('shows each learner: lesson, progress, activity, last outcome, counts; stuck first', async () => {
    const { classes, activity, progress, live, sources, tick } = await setUp();
    const record = classes.create('Monday', ['01-hello', '02-verifier']);
    classes.join(record.id, ADA, 'Ada');
    tick(1);
    classes.join(record.id, BOB, 'Bob');
    tick(1);
    classes.join(record.id, CY, '<b>Cy</b>');

    // Ada: done with lesson 1, on lesson 2, compiling.
    activity.recordCheck(ADA, '01-hello', { passed: true, checksPassed: 3, checksTotal: 3 });
    progress.advanceNow(ADA, '01-hello', 'done');
    live.set(ADA, { ...LIVE, lessonId: '02-verifier', phase: 'compiling' });
    // Bob: three verifier rejections in lesson 2, offline now.
    for (let i = 0; i < 3; i++) {
      tick(1000);
      activity.recordRun(BOB, '02-verifier', 'verifier', 'R1 invalid mem access');
    }
    // Cy: hand up, idle.
    tick(1000);
    activity.raiseHand(CY, '01-hello');
    live.set(CY, { ...LIVE, idleMs: EDITING_WITHIN_MS + 3 * 60_000 });

    const dashboard = buildDashboard(sources, record.id);
    expect(dashboard?.class).toMatchObject({
      name: 'Monday',
      joinUrl: `http://10.0.0.5:3000/join/${record.joinCode}`,
      lessons: [COURSE[0], COURSE[1]],
      wholeCourse: false,
      memberCount: 3,
      open: true,
    });
    expect(dashboard?.sandboxes).toEqual({ inUse: 1, capacity: 2, waiting: 0 });
    const [first, second, third] = dashboard?.learners ?? [];
    // Bob got stuck first (his third rejection), Cy raised her hand after; Ada is fine.
    expect(first).toMatchObject({
      ref: memberRef(BOB),
      name: 'Bob',
      currentLesson: { id: '02-verifier', title: 'Verifier' },
      activity: { state: 'offline' },
      lastOutcome: {
        kind: 'run',
        outcome: 'verifier',
        summary: 'verifier rejected',
        firstErrorLine: 'R1 invalid mem access',
      },
      runs: 3,
      checks: 0,
      stuck: {
        reason: 'failing-runs',
        detail: '3 runs in a row failed (last: rejected by the verifier)',
      },
    });
    expect(second).toMatchObject({
      name: '<b>Cy</b>',
      hand: { raisedAt: expect.any(Number) },
      activity: { state: 'idle', idleMinutes: 5 },
      stuck: { reason: 'hand-raised' },
    });
    expect(third).toMatchObject({
      name: 'Ada',
      lessonsDone: 1,
      lessonsTotal: 2,
      activity: { state: 'compiling', sandbox: 'running' },
      currentLesson: { id: '02-verifier' },
      lastOutcome: { kind: 'check', summary: 'checks passed (3/3)', firstErrorLine: null },
      stuck: null,
    });
    expect(dashboard?.grid).toEqual({
      lessons: [COURSE[0], COURSE[1]],
      rows: [
        { ref: memberRef(ADA), name: 'Ada', cells: ['done', 'not-started'] },
        { ref: memberRef(BOB), name: 'Bob', cells: ['not-started', 'attempted'] },
        { ref: memberRef(CY), name: '<b>Cy</b>', cells: ['not-started', 'not-started'] },
      ],
    });
  });

  it('a class of the whole course follows it; a learner with no record yet is new', async () => {
    const { classes, sources } = await setUp();
    const record = classes.create('Tuesday', null);
    classes.join(record.id, ADA, 'Ada');
    const dashboard = buildDashboard(sources, record.id);
    expect(dashboard?.class.lessons).toEqual(COURSE);
    expect(dashboard?.learners[0]).toMatchObject({
      currentLesson: null,
      lessonsDone: 0,
      lessonsTotal: 3,
      lastOutcome: null,
      stuck: null,
    });
    expect(buildDashboard(sources, 999)).toBeUndefined();
  });

  it('a long time active on the lesson without a passing check is stuck too', async () => {
    const { classes, sources, live, tick } = await setUp();
    const record = classes.create('Monday', null);
    classes.join(record.id, ADA, 'Ada');
    live.set(ADA, LIVE);
    for (let minute = 0; minute <= 16; minute++) {
      sources.time.active(ADA, '01-hello', sources.now());
      tick(60_000);
    }
    expect(buildDashboard(sources, record.id)?.learners[0]?.stuck).toMatchObject({
      reason: 'long-on-lesson',
    });
  });
});

describe("a learner's activity", () => {
  it('in words, from their session', () => {
    expect(activityOf(undefined)).toEqual({ state: 'offline', sandbox: 'none' });
    expect(activityOf({ ...LIVE, tabs: 0 }).state).toBe('offline');
    expect(activityOf({ ...LIVE, checking: true, phase: 'compiling' }).state).toBe('checking');
    expect(activityOf({ ...LIVE, phase: 'loading' }).state).toBe('compiling');
    expect(activityOf({ ...LIVE, phase: 'attached', attached: true }).state).toBe('running');
    expect(activityOf(LIVE).state).toBe('editing');
    expect(activityOf({ ...LIVE, sandbox: 'starting', queuePlace: 3 })).toEqual({
      state: 'editing',
      sandbox: 'queued',
      queuePlace: 3,
    });
    expect(activityOf({ ...LIVE, idleMs: 7 * 60_000 + 5 })).toEqual({
      state: 'idle',
      idleMinutes: 7,
      sandbox: 'running',
    });
  });
});
