/**
 * Reads what a class's members did, from the database, in a few queries per class (not per
 * learner): each member's progress, runs, checks, best check and time spent per lesson, their
 * latest outcome and their raised hand. The dashboard and the export are built from it.
 */
import type { LabDatabase } from '../db/database.js';
import type { LessonState } from '../progress.js';
import type { LessonEvent, RunOutcome } from './stuck-rule.js';

export interface LessonStats {
  state: LessonState;
  /** When every check of the lesson first passed; null when not done or imported. */
  firstDoneAt: number | null;
  runs: number;
  checks: number;
  /** The check that got furthest: how many of the lesson's checks passed, of how many. */
  bestChecksPassed: number | null;
  checksTotal: number | null;
  timeMs: number;
}

export interface RecordedEvent {
  lessonId: string;
  kind: 'run' | 'check';
  outcome: string;
  firstErrorLine: string | null;
  checksPassed: number | null;
  checksTotal: number | null;
  at: number;
}

export interface LearnerReport {
  /** By lesson id; a lesson the learner never touched has no entry. */
  lessons: Map<string, LessonStats>;
  lastEvent?: RecordedEvent;
  handRaisedAt?: number;
}

/** Events of the current lesson the stuck rule looks at: plenty for its thresholds. */
const STUCK_RULE_EVENTS = 50;

const RUN_OUTCOMES: ReadonlySet<string> = new Set<RunOutcome>([
  'attached',
  'compile',
  'verifier',
  'attach',
  'limit',
  'internal',
]);

const MEMBERS = 'JOIN members m ON m.learner_id = x.learner_id AND m.class_id = ?';

/** learner id → their report, for every member of the class. */
export function classReport(db: LabDatabase, classId: number): Map<string, LearnerReport> {
  const reports = new Map<string, LearnerReport>();
  for (const { learner_id } of db.all<{ learner_id: string }>(
    'SELECT learner_id FROM members WHERE class_id = ?',
    classId,
  )) {
    reports.set(learner_id, { lessons: new Map() });
  }
  const stats = (learnerId: string, lessonId: string): LessonStats => {
    const report = reports.get(learnerId) as LearnerReport;
    let lesson = report.lessons.get(lessonId);
    if (!lesson) {
      lesson = {
        state: 'new',
        firstDoneAt: null,
        runs: 0,
        checks: 0,
        bestChecksPassed: null,
        checksTotal: null,
        timeMs: 0,
      };
      report.lessons.set(lessonId, lesson);
    }
    return lesson;
  };

  for (const row of db.all<{
    learner_id: string;
    lesson_id: string;
    state: LessonState;
    first_done_at: number | null;
  }>(
    `SELECT x.learner_id, x.lesson_id, x.state, x.first_done_at FROM progress x ${MEMBERS}`,
    classId,
  )) {
    const lesson = stats(row.learner_id, row.lesson_id);
    lesson.state = row.state;
    lesson.firstDoneAt = row.first_done_at;
  }

  for (const row of db.all<{ learner_id: string; lesson_id: string; runs: number; checks: number }>(
    `SELECT x.learner_id, x.lesson_id,
       sum(x.kind = 'run') AS runs, sum(x.kind = 'check') AS checks
     FROM events x ${MEMBERS} GROUP BY x.learner_id, x.lesson_id`,
    classId,
  )) {
    const lesson = stats(row.learner_id, row.lesson_id);
    lesson.runs = row.runs;
    lesson.checks = row.checks;
  }

  // With max(), SQLite takes the row's other (bare) columns from the row that has the maximum.
  for (const row of db.all<{
    learner_id: string;
    lesson_id: string;
    best: number;
    checks_total: number;
  }>(
    `SELECT x.learner_id, x.lesson_id, max(x.checks_passed) AS best, x.checks_total
     FROM events x ${MEMBERS} WHERE x.kind = 'check' GROUP BY x.learner_id, x.lesson_id`,
    classId,
  )) {
    const lesson = stats(row.learner_id, row.lesson_id);
    lesson.bestChecksPassed = row.best;
    lesson.checksTotal = row.checks_total;
  }

  for (const row of db.all<{ learner_id: string; lesson_id: string; active_ms: number }>(
    `SELECT x.learner_id, x.lesson_id, x.active_ms FROM lesson_time x ${MEMBERS}`,
    classId,
  )) {
    stats(row.learner_id, row.lesson_id).timeMs = row.active_ms;
  }

  // Event ids grow with time: the largest is the latest.
  for (const row of db.all<{
    learner_id: string;
    lesson_id: string;
    kind: 'run' | 'check';
    outcome: string;
    first_error_line: string | null;
    checks_passed: number | null;
    checks_total: number | null;
    at: number;
  }>(
    `SELECT x.learner_id, x.lesson_id, x.kind, x.outcome, x.first_error_line,
       x.checks_passed, x.checks_total, x.at
     FROM events x ${MEMBERS}
     WHERE x.id = (SELECT max(id) FROM events l WHERE l.learner_id = x.learner_id)`,
    classId,
  )) {
    (reports.get(row.learner_id) as LearnerReport).lastEvent = {
      lessonId: row.lesson_id,
      kind: row.kind,
      outcome: row.outcome,
      firstErrorLine: row.first_error_line,
      checksPassed: row.checks_passed,
      checksTotal: row.checks_total,
      at: row.at,
    };
  }

  for (const row of db.all<{ learner_id: string; raised_at: number }>(
    `SELECT x.learner_id, x.raised_at FROM hand_raises x ${MEMBERS} WHERE x.lowered_at IS NULL`,
    classId,
  )) {
    (reports.get(row.learner_id) as LearnerReport).handRaisedAt = row.raised_at;
  }
  return reports;
}

/** The learner's latest runs and checks of a lesson, as the stuck rule reads them. */
export function lessonEvents(db: LabDatabase, learnerId: string, lessonId: string): LessonEvent[] {
  return db
    .all<{ kind: 'run' | 'check'; outcome: string; at: number }>(
      `SELECT kind, outcome, at FROM events WHERE learner_id = ? AND lesson_id = ?
       ORDER BY at DESC, id DESC LIMIT ${STUCK_RULE_EVENTS}`,
      learnerId,
      lessonId,
    )
    .flatMap((row): LessonEvent[] => {
      if (row.kind === 'check')
        return [{ kind: 'check', at: row.at, passed: row.outcome === 'passed' }];
      // An outcome this version does not know (a newer lab wrote it) is left out.
      if (!RUN_OUTCOMES.has(row.outcome)) return [];
      return [{ kind: 'run', at: row.at, outcome: row.outcome as RunOutcome }];
    });
}

/** The lesson the learner was last seen on (runs, checks, time spent, lessons opened). */
export function lastLessonOf(db: LabDatabase, learnerId: string): string | undefined {
  return db.value<string>(
    `SELECT lesson_id FROM (
       SELECT lesson_id, at FROM events WHERE learner_id = ?
       UNION ALL
       SELECT lesson_id, last_active_at FROM lesson_time WHERE learner_id = ?
       UNION ALL
       SELECT lesson_id, started_at FROM progress WHERE learner_id = ? AND started_at IS NOT NULL
     ) ORDER BY at DESC LIMIT 1`,
    learnerId,
    learnerId,
    learnerId,
  );
}
