/**
 * The class dashboard, built from the database (class-report.ts) and the learners' live
 * sessions: per learner what they are doing, where they are, how it went last, and whether
 * they are stuck (stuck-rule.ts, fed with their current lesson's runs and checks, their recent
 * activity and their raised hand); and the lesson × learner grid.
 */
import type {
  ClassDashboard,
  ClassSummary,
  DashboardLearner,
  GridCell,
  LastOutcome,
  LessonRef,
} from '../../shared/classroom-api.js';
import type { LabDatabase } from '../db/database.js';
import type { SessionLive } from '../session.js';
import { activityOf } from './activity-state.js';
import {
  classReport,
  type LearnerReport,
  type LessonStats,
  lastLessonOf,
  lessonEvents,
  type RecordedEvent,
} from './class-report.js';
import type { ClassRecord, ClassStore } from './class-store.js';
import { type LessonEvent, stuckVerdict } from './stuck-rule.js';
import type { TimeSpent } from './time-spent.js';

export interface DashboardSources {
  db: LabDatabase;
  classes: ClassStore;
  time: TimeSpent;
  /** The course's lessons, in course order. */
  course: () => LessonRef[];
  /** The learner's session, when they have one. */
  live: (learnerId: string) => SessionLive | undefined;
  slots: () => { inUse: number; capacity: number; waiting: number };
  /** The lab's address as learners open it (lab-url.ts). */
  baseUrl: string;
  now: () => number;
}

const RUN_WORDS: Record<string, string> = {
  attached: 'attached',
  compile: 'did not compile',
  verifier: 'verifier rejected',
  attach: 'could not attach',
  limit: 'hit a limit',
  internal: 'failed inside the lab',
};

export function joinUrl(baseUrl: string, joinCode: string): string {
  return `${baseUrl}/join/${joinCode}`;
}

/** The class's lessons in its order; a lesson no longer in the course keeps its id as title. */
export function classLessons(record: ClassRecord, course: readonly LessonRef[]): LessonRef[] {
  if (record.lessons === null) return [...course];
  const titles = new Map(course.map((l) => [l.id, l.title]));
  return record.lessons.map((id) => ({ id, title: titles.get(id) ?? id }));
}

export function classSummary(
  record: ClassRecord,
  sources: Pick<DashboardSources, 'course' | 'baseUrl'>,
  memberCount: number,
): ClassSummary {
  return {
    id: record.id,
    name: record.name,
    joinCode: record.joinCode,
    joinUrl: joinUrl(sources.baseUrl, record.joinCode),
    open: record.open,
    lessons: classLessons(record, sources.course()),
    wholeCourse: record.lessons === null,
    createdAt: record.createdAt,
    memberCount,
  };
}

export function buildDashboard(
  sources: DashboardSources,
  classId: number,
): ClassDashboard | undefined {
  const record = sources.classes.get(classId);
  if (!record) return undefined;
  const now = sources.now();
  const members = sources.classes.members(classId);
  const summary = classSummary(record, sources, members.length);
  const lessons = summary.lessons;
  const titles = new Map(sources.course().map((l) => [l.id, l.title]));
  const reports = classReport(sources.db, classId);

  const learners: DashboardLearner[] = [];
  const rows: ClassDashboard['grid']['rows'] = [];
  for (const member of members) {
    const report: LearnerReport = reports.get(member.learnerId) ?? { lessons: new Map() };
    const live = sources.live(member.learnerId);
    const inClass = lessons.map((l) => report.lessons.get(l.id));
    const currentId = live?.lessonId ?? lastLessonOf(sources.db, member.learnerId);
    learners.push({
      ref: member.ref,
      name: member.displayName,
      joinedAt: member.joinedAt,
      currentLesson:
        currentId === undefined
          ? null
          : { id: currentId, title: titles.get(currentId) ?? currentId },
      lessonsDone: inClass.filter((s) => s?.state === 'done').length,
      lessonsTotal: lessons.length,
      activity: activityOf(live),
      lastOutcome: report.lastEvent ? lastOutcome(report.lastEvent) : null,
      runs: sum(inClass, (s) => s.runs),
      checks: sum(inClass, (s) => s.checks),
      hand: report.handRaisedAt === undefined ? null : { raisedAt: report.handRaisedAt },
      stuck: stuckOf(sources, member.learnerId, currentId, report, now),
    });
    rows.push({ ref: member.ref, name: member.displayName, cells: inClass.map(cell) });
  }
  learners.sort(
    (a, b) =>
      (a.stuck?.since ?? Number.POSITIVE_INFINITY) - (b.stuck?.since ?? Number.POSITIVE_INFINITY) ||
      a.name.localeCompare(b.name) ||
      a.joinedAt - b.joinedAt,
  );
  return {
    class: summary,
    sandboxes: sources.slots(),
    learners,
    grid: { lessons, rows },
    at: now,
  };
}

function stuckOf(
  sources: DashboardSources,
  learnerId: string,
  lessonId: string | undefined,
  report: LearnerReport,
  now: number,
): DashboardLearner['stuck'] {
  const events: LessonEvent[] = [];
  if (lessonId !== undefined) {
    events.push(...lessonEvents(sources.db, learnerId, lessonId));
    for (const at of sources.time.samplesOf(learnerId, lessonId))
      events.push({ kind: 'active', at });
  }
  const verdict = stuckVerdict({ events, handRaisedAt: report.handRaisedAt, now });
  return verdict.stuck
    ? { reason: verdict.reason, detail: verdict.detail, since: verdict.since }
    : null;
}

function lastOutcome(event: RecordedEvent): LastOutcome {
  let summary: string;
  if (event.kind === 'run') {
    summary = RUN_WORDS[event.outcome] ?? event.outcome;
  } else {
    const counted =
      event.checksTotal === null ? '' : ` (${event.checksPassed}/${event.checksTotal})`;
    summary = `checks ${event.outcome === 'passed' ? 'passed' : 'failed'}${counted}`;
  }
  return {
    kind: event.kind,
    lessonId: event.lessonId,
    outcome: event.outcome,
    summary,
    firstErrorLine: event.firstErrorLine,
    at: event.at,
  };
}

function cell(stats: LessonStats | undefined): GridCell {
  if (!stats) return 'not-started';
  if (stats.state === 'done') return 'done';
  const touched = stats.state === 'started' || stats.runs + stats.checks > 0 || stats.timeMs > 0;
  return touched ? 'attempted' : 'not-started';
}

function sum(
  stats: readonly (LessonStats | undefined)[],
  value: (s: LessonStats) => number,
): number {
  return stats.reduce((total, s) => total + (s ? value(s) : 0), 0);
}
