/**
 * The class export: one row per learner × lesson of the class (done, checks passed of total
 * in the best check, first completion, runs, checks, time spent), as JSON, or as CSV that a
 * spreadsheet opens as it is (csv.ts: BOM, quoting, no formula injection).
 */
import type { ClassExport, ExportRow, LessonRef } from '../../shared/classroom-api.js';
import { toCsv } from '../csv.js';
import type { LabDatabase } from '../db/database.js';
import { classReport } from './class-report.js';
import type { ClassRecord, MemberRecord } from './class-store.js';

const CSV_HEADER = [
  'learner',
  'lesson',
  'lesson title',
  'done',
  'checks passed',
  'checks total',
  'first completed (UTC)',
  'runs',
  'checks',
  'time spent (min)',
];

export function classExport(
  db: LabDatabase,
  record: ClassRecord,
  members: readonly MemberRecord[],
  lessons: readonly LessonRef[],
  now: number,
): ClassExport {
  const reports = classReport(db, record.id);
  const rows: ExportRow[] = [];
  for (const member of members) {
    const report = reports.get(member.learnerId);
    for (const lesson of lessons) {
      const stats = report?.lessons.get(lesson.id);
      const done = stats?.state === 'done';
      rows.push({
        learner: member.displayName,
        lessonId: lesson.id,
        lessonTitle: lesson.title,
        done,
        checksPassed: stats?.bestChecksPassed ?? null,
        checksTotal: stats?.checksTotal ?? null,
        firstCompletedAt:
          done && stats?.firstDoneAt ? new Date(stats.firstDoneAt).toISOString() : null,
        runs: stats?.runs ?? 0,
        checks: stats?.checks ?? 0,
        // Tenths of a minute: a short lesson still shows it was opened.
        timeSpentMinutes: Math.round((stats?.timeMs ?? 0) / 6_000) / 10,
      });
    }
  }
  return {
    class: { id: record.id, name: record.name },
    exportedAt: new Date(now).toISOString(),
    rows,
  };
}

export function exportCsv(data: ClassExport): string {
  return toCsv([
    CSV_HEADER,
    ...data.rows.map((row) => [
      row.learner,
      row.lessonId,
      row.lessonTitle,
      row.done ? 'yes' : 'no',
      row.checksPassed,
      row.checksTotal,
      row.firstCompletedAt,
      row.runs,
      row.checks,
      row.timeSpentMinutes,
    ]),
  ]);
}

/** A file name for the download: the class's name in ASCII letters, digits and dashes. */
export function exportFileName(record: ClassRecord, extension: 'csv' | 'json'): string {
  const slug = record.name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .toLowerCase();
  return `class-${record.id}${slug ? `-${slug}` : ''}.${extension}`;
}
