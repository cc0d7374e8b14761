import { describe, expect, it } from 'vitest';
import { useTempDatabase } from '../../../test/temp-database.js';
import { CSV_BOM } from '../csv.js';
import { openProgressStore } from '../progress.js';
import { ActivityStore } from './activity-store.js';
import { classExport, exportCsv, exportFileName } from './class-export.js';
import { ClassStore } from './class-store.js';

const tempDatabase = useTempDatabase();
const ADA = 'a'.repeat(32);
const EVIL = 'e'.repeat(32);
const LESSONS = [
  { id: '01-hello', title: 'Hello, "world"' },
  { id: '02-verifier', title: 'Verifier' },
];
const DONE_AT = Date.UTC(2026, 10, 30, 9, 15);

describe('the class export', () => {
  it('one row per learner and lesson; CSV a spreadsheet opens as it is, formulas defused', async () => {
    const { db } = tempDatabase();
    let now = DONE_AT - 60_000;
    const clock = () => now;
    const classes = new ClassStore(db, clock);
    const activity = new ActivityStore(db, clock);
    const progress = await openProgressStore(db, { now: clock });
    const record = classes.create(
      'Mon, 9:00 — José’s group',
      LESSONS.map((l) => l.id),
    );
    classes.join(record.id, ADA, 'Ada, "the first"');
    now += 1;
    classes.join(record.id, EVIL, '=HYPERLINK("http://evil","x")');
    activity.recordCheck(ADA, '01-hello', { passed: false, checksPassed: 2, checksTotal: 3 });
    activity.recordRun(ADA, '01-hello', 'attached');
    now = DONE_AT;
    activity.recordCheck(ADA, '01-hello', { passed: true, checksPassed: 3, checksTotal: 3 });
    progress.advanceNow(ADA, '01-hello', 'done');
    activity.addTime([{ learnerId: ADA, lessonId: '01-hello', ms: 12.5 * 60_000, at: DONE_AT }]);

    const data = classExport(db, record, classes.members(record.id), LESSONS, DONE_AT);
    expect(data.class).toEqual({ id: record.id, name: record.name });
    expect(data.rows).toHaveLength(4);
    expect(data.rows[0]).toEqual({
      learner: 'Ada, "the first"',
      lessonId: '01-hello',
      lessonTitle: 'Hello, "world"',
      done: true,
      checksPassed: 3,
      checksTotal: 3,
      firstCompletedAt: '2026-11-30T09:15:00.000Z',
      runs: 1,
      checks: 2,
      timeSpentMinutes: 12.5,
    });
    expect(data.rows[3]).toMatchObject({
      learner: '=HYPERLINK("http://evil","x")',
      done: false,
      checksPassed: null,
      firstCompletedAt: null,
      runs: 0,
      timeSpentMinutes: 0,
    });

    const csv = exportCsv(data);
    expect(csv.startsWith(CSV_BOM)).toBe(true);
    const lines = csv.slice(1).split('\r\n');
    expect(lines[0]).toBe(
      'learner,lesson,lesson title,done,checks passed,checks total,first completed (UTC),runs,checks,time spent (min)',
    );
    expect(lines[1]).toBe(
      '"Ada, ""the first""",01-hello,"Hello, ""world""",yes,3,3,2026-11-30T09:15:00.000Z,1,2,12.5',
    );
    expect(lines[3]).toBe(
      `"'=HYPERLINK(""http://evil"",""x"")",01-hello,"Hello, ""world""",no,,,,0,0,0`,
    );
    expect(lines.at(-1)).toBe('');
  });

  it('names the download in ASCII', () => {
    const record = {
      id: 7,
      name: 'Mon, 9:00 — José’s group',
      joinCode: 'AAAAAA',
      lessons: null,
      open: true,
      createdAt: 0,
    };
    expect(exportFileName(record, 'csv')).toBe('class-7-mon-9-00-jose-s-group.csv');
    expect(exportFileName({ ...record, name: '日本語' }, 'json')).toBe('class-7.json');
  });
});
