/**
 * The classroom over HTTP and WebSocket, on a real server with fake sandboxes: instructor-only
 * access, joining (codes, names, closed classes, the rate limit), resume links, learners kept
 * apart, the dashboard following runs, checks and raised hands live, broadcasts, the export,
 * and a restart that keeps it all.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PACKAGE_ROOT } from '../../runner/paths.js';
import { TEST_CAPACITY } from '../../test/e2e/helpers.js';
import { LabTab, learnerCookie } from '../../test/e2e/lab-client.js';
import { classroomGuest, FakeSource } from '../../test/fake-sandbox.js';
import type {
  ClassDashboard,
  ClassExport,
  ClassSummary,
  JoinReply,
  LearnerClassroom,
  LearnerWork,
  TeachServerMessage,
} from '../shared/classroom-api.js';
import type { Course, Lesson as LessonReply } from '../shared/http-api.js';
import { ENTRY_MISSES } from './classroom/join-routes.js';
import { resolveConfig } from './config.js';
import { CSV_BOM } from './csv.js';
import { type LabServer, startLabServer } from './server.js';

const COURSE = join(PACKAGE_ROOT, 'test', 'fixtures', 'course');
const XSS_NAME = '<img src=x onerror=alert(1)>';
const FORMULA_NAME = '=HYPERLINK("http://evil.example","click")';

const dataDirs: string[] = [];
const running: LabServer[] = [];
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

async function startLab(dataDir?: string, clientDir?: string): Promise<LabServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'ebpf-lab-classroom-'));
  if (!dataDir) dataDirs.push(dir);
  const lab = await startLabServer(
    resolveConfig({
      port: 0,
      dataDir: dir,
      warmSandboxes: 0,
      lessonsDir: COURSE,
      clientDir,
      maxSessions: TEST_CAPACITY,
    }),
    new FakeSource(classroomGuest),
    { dashboardTiming: { pushEveryMs: 50, refreshEveryMs: 60_000 } },
  );
  running.push(lab);
  return lab;
}

async function stopLab(lab: LabServer): Promise<void> {
  running.splice(running.indexOf(lab), 1);
  await lab.close();
}

/** A request as a page of `lab` sends it: its Origin, JSON, the given cookie. */
async function call(
  lab: LabServer,
  path: string,
  options: { cookie?: string; method?: string; body?: unknown; origin?: string | null } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (options.cookie) headers.cookie = options.cookie;
  if (options.origin !== null) headers.origin = options.origin ?? lab.url;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${lab.url}${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    redirect: 'manual',
  });
}

async function json<T>(response: Response, status = 200): Promise<T> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as T;
}

/** Signs in with the link's secret; returns the instructor cookie. */
async function signIn(lab: LabServer): Promise<string> {
  const secret = new URL(lab.instructorUrl).hash.slice(1);
  const response = await call(lab, '/api/instructor/session', { body: { secret } });
  expect(response.status).toBe(200);
  const setCookie = response.headers
    .getSetCookie()
    .find((c) => c.startsWith('ebpf_lab_instructor='));
  expect(setCookie).toMatch(/HttpOnly/i);
  expect(setCookie).toMatch(/SameSite=Strict/i);
  return setCookie?.split(';')[0] as string;
}

async function createClass(lab: LabServer, cookie: string, body: unknown): Promise<ClassSummary> {
  return json<ClassSummary>(await call(lab, '/api/teach/classes', { cookie, body }), 201);
}

async function joinClass(lab: LabServer, cookie: string, code: string, name: string) {
  return json<JoinReply>(await call(lab, '/api/classes/join', { cookie, body: { code, name } }));
}

/** The instructor's dashboard socket, watching one class. */
async function watchDashboard(lab: LabServer, cookie: string, classId: number) {
  const socket = new WebSocket(`${lab.url.replace('http', 'ws')}/ws/teach`, {
    headers: { cookie, origin: lab.url },
  });
  const messages: TeachServerMessage[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  socket.send(JSON.stringify({ type: 'watch', classId }));
  const latest = () => {
    const last = messages.filter((m) => m.type === 'dashboard').at(-1);
    return last?.type === 'dashboard' ? last.dashboard : undefined;
  };
  return {
    socket,
    latest,
    errors: () => messages.flatMap((m) => (m.type === 'error' ? [m.message] : [])),
    async until(what: string, predicate: (d: ClassDashboard) => boolean): Promise<ClassDashboard> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const dashboard = latest();
        if (dashboard && predicate(dashboard)) return dashboard;
        if (Date.now() > deadline) {
          throw new Error(`no dashboard push showed ${what}: ${JSON.stringify(dashboard)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

describe('the classroom server', () => {
  let lab: LabServer;
  let instructor: string;
  beforeAll(async () => {
    lab = await startLab();
    instructor = await signIn(lab);
  });
  afterAll(async () => {
    for (const server of running.splice(0)) await server.close();
  });
  const tabs: LabTab[] = [];
  afterEach(() => {
    for (const tab of tabs.splice(0)) tab.close();
  });
  const openTab = async (cookie: string) => {
    const tab = await LabTab.open(lab.url, cookie);
    tabs.push(tab);
    return tab;
  };

  it('lets only instructor sessions reach /api/teach, /ws/teach and the /teach pages', async () => {
    const learner = await learnerCookie(lab.url);
    expect(lab.instructorUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/teach#[A-Za-z0-9_-]{43}$/);
    for (const cookie of [undefined, learner]) {
      for (const path of [
        '/api/teach/classes',
        '/api/teach/classes/1',
        '/api/teach/classes/1/export.csv',
        '/api/teach/classes/1/qr.svg',
      ]) {
        const response = await call(lab, path, { cookie });
        expect(response.status, path).toBe(403);
        expect(await response.json()).toEqual({ error: expect.stringMatching(/instructor link/) });
      }
      const create = await call(lab, '/api/teach/classes', { cookie, body: { name: 'x' } });
      expect(create.status).toBe(403);
      const page = await call(lab, '/teach/1', { cookie });
      expect([page.status, page.headers.get('location')]).toEqual([303, '/teach']);
    }
    await expect(watchDashboard(lab, learner, 1)).rejects.toThrow('HTTP 403');
    // The instructor's socket validates every frame and goes on.
    const page = await watchDashboard(lab, instructor, 999);
    page.socket.send('{"type":"watch","classId":"1; DROP TABLE classes"}');
    page.socket.send('not json');
    const errors = async () => {
      for (let i = 0; i < 100 && page.errors().length < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return page.errors();
    };
    expect(await errors()).toEqual([
      'There is no class 999.',
      expect.stringMatching(/^not understood: /),
      expect.stringMatching(/^not JSON: /),
    ]);
    page.socket.close();
    expect((await call(lab, '/api/teach/classes', { cookie: instructor })).status).toBe(200);
    expect(await json(await call(lab, '/api/instructor/session', { cookie: learner }))).toEqual({
      instructor: false,
    });
  });

  it('signs in with the current secret only, from a page of the lab', async () => {
    const secret = new URL(lab.instructorUrl).hash.slice(1);
    const wrong = await call(lab, '/api/instructor/session', {
      body: { secret: `${secret.slice(0, -2)}AA` },
    });
    expect(wrong.status).toBe(403);
    expect(wrong.headers.getSetCookie().some((c) => c.startsWith('ebpf_lab_instructor='))).toBe(
      false,
    );
    const noOrigin = await call(lab, '/api/instructor/session', { body: { secret }, origin: null });
    expect(noOrigin.status).toBe(403);
    const elsewhere = await call(lab, '/api/instructor/session', {
      body: { secret },
      origin: 'http://evil.example',
    });
    expect(elsewhere.status).toBe(403);
  });

  it('creates, lists, closes and reopens classes; lessons are checked against the course', async () => {
    const bad = await call(lab, '/api/teach/classes', {
      cookie: instructor,
      body: { name: 'Bad', lessons: ['01-hello', 'no-such-lesson'] },
    });
    expect(await json(bad, 400)).toEqual({ error: 'no such lesson: no-such-lesson' });
    const twice = await call(lab, '/api/teach/classes', {
      cookie: instructor,
      body: { name: 'Twice', lessons: ['01-hello', '01-hello'] },
    });
    expect(twice.status).toBe(400);
    const unnamed = await call(lab, '/api/teach/classes', {
      cookie: instructor,
      body: { name: ' ' },
    });
    expect(unnamed.status).toBe(400);

    const made = await createClass(lab, instructor, {
      name: '  Tuesday   group ',
      lessons: ['02-verifier', '01-hello'],
    });
    expect(made).toMatchObject({
      name: 'Tuesday group',
      joinCode: expect.stringMatching(/^[A-HJKMNP-Z2-9]{6}$/),
      joinUrl: `${lab.baseUrl}/join/${made.joinCode}`,
      open: true,
      wholeCourse: false,
      lessons: [
        { id: '02-verifier', title: 'Verifier fixture' },
        { id: '01-hello', title: 'Hello fixture' },
      ],
      memberCount: 0,
    });
    const listed = await json<ClassSummary[]>(
      await call(lab, '/api/teach/classes', { cookie: instructor }),
    );
    expect(listed.map((c) => c.id)).toContain(made.id);
    const closed = await call(lab, `/api/teach/classes/${made.id}/close`, {
      cookie: instructor,
      body: {},
    });
    expect((await json<ClassSummary>(closed)).open).toBe(false);
    const reopened = await call(lab, `/api/teach/classes/${made.id}/reopen`, {
      cookie: instructor,
      body: {},
    });
    expect((await json<ClassSummary>(reopened)).open).toBe(true);
    const qr = await call(lab, `/api/teach/classes/${made.id}/qr.svg`, { cookie: instructor });
    expect(qr.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await qr.text()).toMatch(/^<svg /);
  });

  it('joins with a code typed any which way; a closed class refuses, saying so', async () => {
    const made = await createClass(lab, instructor, { name: 'Wednesday' });
    const ada = await learnerCookie(lab.url);
    const typed = `${made.joinCode.slice(0, 3).toLowerCase()}-${made.joinCode.slice(3)}`;
    const joined = await joinClass(lab, ada, typed, '  Ada  ');
    expect(joined).toMatchObject({ classId: made.id, className: 'Wednesday', displayName: 'Ada' });
    expect(joined.resumeUrl).toMatch(new RegExp(`^${lab.baseUrl}/resume#[A-Za-z0-9_-]{43}$`));
    const mine = await json<LearnerClassroom>(await call(lab, '/api/classroom', { cookie: ada }));
    expect(mine).toEqual({
      classes: [{ id: made.id, name: 'Wednesday', displayName: 'Ada', banner: null }],
      handRaised: false,
    });

    await call(lab, `/api/teach/classes/${made.id}/close`, { cookie: instructor, body: {} });
    const late = await learnerCookie(lab.url);
    const refused = await call(lab, '/api/classes/join', {
      cookie: late,
      body: { code: made.joinCode, name: 'Late' },
    });
    expect(await json(refused, 403)).toEqual({
      error: 'The class "Wednesday" is closed to new learners: ask your instructor to reopen it.',
    });
    const noOrigin = await call(lab, '/api/classes/join', {
      cookie: late,
      body: { code: made.joinCode, name: 'Late' },
      origin: null,
    });
    expect(noOrigin.status).toBe(403);
  });

  it('keeps a display name that looks like HTML or a formula as text, and defuses it in the CSV', async () => {
    const made = await createClass(lab, instructor, { name: 'Names', lessons: ['01-hello'] });
    for (const name of [XSS_NAME, FORMULA_NAME]) {
      const joined = await joinClass(lab, await learnerCookie(lab.url), made.joinCode, name);
      expect(joined.displayName).toBe(name);
    }
    const dashboard = await json<ClassDashboard>(
      await call(lab, `/api/teach/classes/${made.id}`, { cookie: instructor }),
    );
    expect(dashboard.learners.map((l) => l.name).sort()).toEqual([XSS_NAME, FORMULA_NAME].sort());
    const csv = await call(lab, `/api/teach/classes/${made.id}/export.csv`, { cookie: instructor });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(
      /^attachment; filename="?class-\d+-names\.csv"?$/,
    );
    // The bytes: fetch's text() would drop the byte order mark a spreadsheet needs.
    const bytes = Buffer.from(await csv.arrayBuffer());
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from(CSV_BOM));
    const text = bytes.toString('utf8');
    expect(text).toContain(`\r\n${XSS_NAME},01-hello,Hello fixture,no,`);
    expect(text).toContain(`\r\n"'=HYPERLINK(""http://evil.example"",""click"")",01-hello,`);
    const exported = await json<ClassExport>(
      await call(lab, `/api/teach/classes/${made.id}/export.json`, { cookie: instructor }),
    );
    expect(exported.rows.map((r) => r.learner).sort()).toEqual([XSS_NAME, FORMULA_NAME].sort());
  });

  it("a resume link brings back its learner's cookie, and nobody else's", async () => {
    const made = await createClass(lab, instructor, { name: 'Resume' });
    const ada = await learnerCookie(lab.url);
    const joined = await joinClass(lab, ada, made.joinCode, 'Ada');
    await call(lab, '/api/progress/01-hello', { cookie: ada, body: { state: 'done' } });

    // Another browser: a fresh cookie, then the link.
    const fresh = await learnerCookie(lab.url);
    const secret = new URL(joined.resumeUrl).hash.slice(1);
    const resumed = await call(lab, '/api/resume', { cookie: fresh, body: { secret } });
    expect(await json(resumed.clone())).toEqual({ className: 'Resume', displayName: 'Ada' });
    const restored = (resumed.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect(restored).toBe(ada);
    const course = await json<{ lessons: { id: string; state: string }[] }>(
      await call(lab, '/api/course', { cookie: restored }),
    );
    expect(course.lessons.find((l) => l.id === '01-hello')?.state).toBe('done');

    // A browser with no cookie at all gets hers, not a new one beside it.
    const bare = await call(lab, '/api/resume', { body: { secret } });
    expect(
      bare.headers
        .getSetCookie()
        .filter((c) => c.startsWith('ebpf_lab_learner='))
        .map((c) => c.split(';')[0]),
    ).toEqual([ada]);

    const forged = await call(lab, '/api/resume', {
      cookie: fresh,
      body: { secret: `${secret.slice(0, -2)}AA` },
    });
    expect(forged.status).toBe(404);
    expect(forged.headers.get('set-cookie')).toBeNull();
    // The instructor re-admits Ada: her old link ends.
    const ref = (
      await json<ClassDashboard>(
        await call(lab, `/api/teach/classes/${made.id}`, { cookie: instructor }),
      )
    ).learners[0]?.ref;
    const readmit = await json<{ resumeUrl: string }>(
      await call(lab, `/api/teach/classes/${made.id}/learners/${ref}/resume-link`, {
        cookie: instructor,
        body: {},
      }),
    );
    expect(readmit.resumeUrl).not.toBe(joined.resumeUrl);
    expect((await call(lab, '/api/resume', { cookie: fresh, body: { secret } })).status).toBe(404);
  });

  it("two learners see nothing of each other's", async () => {
    const made = await createClass(lab, instructor, { name: 'Apart' });
    const ada = await learnerCookie(lab.url);
    const bob = await learnerCookie(lab.url);
    await joinClass(lab, ada, made.joinCode, 'Ada');
    await call(lab, '/api/progress/02-verifier', { cookie: ada, body: { state: 'done' } });
    const bobs = await json<{ lessons: { id: string; state: string }[] }>(
      await call(lab, '/api/course', { cookie: bob }),
    );
    expect(bobs.lessons.every((l) => l.state === 'new')).toBe(true);
    expect(await json(await call(lab, '/api/classroom', { cookie: bob }))).toEqual({
      classes: [],
      handRaised: false,
    });
    expect((await call(lab, `/api/teach/classes/${made.id}`, { cookie: bob })).status).toBe(403);
    expect(
      (await call(lab, `/api/teach/classes/${made.id}/export.json`, { cookie: ada })).status,
    ).toBe(403);
  });

  it('the dashboard follows a run failing, a check passing and a raised hand, live', async () => {
    const made = await createClass(lab, instructor, { name: 'Live', lessons: ['02-verifier'] });
    const ada = await learnerCookie(lab.url);
    const bob = await learnerCookie(lab.url);
    await joinClass(lab, ada, made.joinCode, 'Ada');
    await joinClass(lab, bob, made.joinCode, 'Bob');
    const page = await watchDashboard(lab, instructor, made.id);
    await page.until('two learners, offline', (d) => d.learners.length === 2);

    const adaTab = await openTab(ada);
    adaTab.send({ type: 'view', lessonId: '02-verifier' });
    const run = (source: string) =>
      adaTab.send({ type: 'run', source, attach: [], lessonId: '02-verifier' });
    for (let i = 0; i < 3; i++) {
      run(`BAD ${i}`);
      await adaTab.waitFor(
        () => adaTab.messages.filter((m) => m.type === 'run-error').length > i,
        `rejection ${i + 1}`,
        10_000,
      );
    }
    let dashboard = await page.until('Ada stuck on failing runs', (d) =>
      d.learners.some((l) => l.name === 'Ada' && l.stuck?.reason === 'failing-runs'),
    );
    expect(dashboard.learners[0]).toMatchObject({
      name: 'Ada',
      currentLesson: { id: '02-verifier' },
      lastOutcome: { kind: 'run', summary: 'verifier rejected' },
      runs: 3,
      stuck: { detail: '3 runs in a row failed (last: rejected by the verifier)' },
    });
    expect(dashboard.learners[0]?.lastOutcome?.firstErrorLine).toMatch(/^The verifier rejected/);

    run('GOOD');
    await page.until('Ada running', (d) =>
      d.learners.some((l) => l.name === 'Ada' && l.activity.state === 'running'),
    );
    adaTab.send({ type: 'check', lessonId: '02-verifier', files: {} });
    dashboard = await page.until('Ada done', (d) =>
      d.learners.some((l) => l.name === 'Ada' && l.lessonsDone === 1),
    );
    expect(dashboard.learners.find((l) => l.name === 'Ada')).toMatchObject({
      lessonsDone: 1,
      lessonsTotal: 1,
      runs: 4,
      checks: 1,
      lastOutcome: { kind: 'check', summary: 'checks passed (1/1)' },
      stuck: null,
    });
    expect(dashboard.grid.rows.find((r) => r.name === 'Ada')?.cells).toEqual(['done']);

    const bobTab = await openTab(bob);
    bobTab.send({ type: 'raise-hand', lessonId: '02-verifier' });
    await bobTab.waitFor(
      () => bobTab.messages.some((m) => m.type === 'hand' && m.raised),
      'the hand up',
      10_000,
    );
    dashboard = await page.until('Bob first, hand up', (d) => d.learners[0]?.hand !== null);
    expect(dashboard.learners[0]).toMatchObject({ name: 'Bob', stuck: { reason: 'hand-raised' } });

    const ref = dashboard.learners[0]?.ref;
    const lowered = await call(lab, `/api/teach/classes/${made.id}/learners/${ref}/lower-hand`, {
      cookie: instructor,
      body: {},
    });
    expect(lowered.status).toBe(204);
    await bobTab.waitFor(
      () => bobTab.messages.some((m) => m.type === 'hand' && !m.raised && m.by === 'instructor'),
      'the hand lowered by the instructor',
      10_000,
    );
    await page.until('no hand up', (d) => d.learners.every((l) => l.hand === null));
    page.socket.close();
  });

  it("shows the instructor a learner's work, read-only: files beside the starter, the verifier's words, their Trace output", async () => {
    const made = await createClass(lab, instructor, { name: 'Work', lessons: ['02-verifier'] });
    const other = await createClass(lab, instructor, { name: 'Elsewhere' });
    const ada = await learnerCookie(lab.url);
    const cy = await learnerCookie(lab.url);
    await joinClass(lab, ada, made.joinCode, 'Ada');
    await joinClass(lab, cy, made.joinCode, 'Cy');
    const dashboard = await json<ClassDashboard>(
      await call(lab, `/api/teach/classes/${made.id}`, { cookie: instructor }),
    );
    const refOf = (name: string) => dashboard.learners.find((l) => l.name === name)?.ref as string;
    const workUrl = (classId: number, ref: string) =>
      `/api/teach/classes/${classId}/learners/${ref}/work`;
    const workOf = async (ref: string) =>
      json<LearnerWork>(await call(lab, workUrl(made.id, ref), { cookie: instructor }));

    // Cy never opened the lab: nothing to show, said plainly.
    expect(await workOf(refOf('Cy'))).toMatchObject({
      name: 'Cy',
      online: false,
      lesson: null,
      files: [],
      lastRun: null,
    });

    const tab = await openTab(ada);
    tab.send({ type: 'view', lessonId: '02-verifier' });
    const edited = 'int count(void *ctx) { BAD; return 0; }\n';
    tab.send({ type: 'save-files', files: { 'count.c': edited, 'notes.txt': 'mine' } });
    tab.send({ type: 'run', source: edited, attach: [], lessonId: '02-verifier' });
    await tab.waitFor(
      () => tab.messages.some((m) => m.type === 'run-error'),
      'the rejection',
      10_000,
    );
    const work = await workOf(refOf('Ada'));
    expect(work).toMatchObject({
      name: 'Ada',
      online: true,
      lesson: { id: '02-verifier' },
      lastRun: { outcome: 'verifier' },
    });
    expect(work.lastRun?.message).toMatch(/^The verifier rejected the program/);
    expect(work.lastRun?.verifier?.summary).toMatch(/invalid mem access/);
    const count = work.files.find((f) => f.name === 'count.c');
    expect(count?.text).toBe(edited);
    expect(count?.starter).toMatch(/int /);
    expect(work.files.find((f) => f.name === 'notes.txt')?.starter).toBeNull();

    // Runs that attach show in the Trace output's tail.
    tab.send({ type: 'run', source: '/* PRINT */', attach: [], lessonId: '02-verifier' });
    await tab.waitFor(() => tab.trace.includes('Hello from PRINT'), 'the trace line', 10_000);
    const attached = await workOf(refOf('Ada'));
    expect(attached.lastRun).toMatchObject({ outcome: 'attached' });
    expect(attached.trace).toContain('Hello from PRINT');

    // Only the instructor, and only through a class the learner is in.
    expect((await call(lab, workUrl(made.id, refOf('Ada')), { cookie: cy })).status).toBe(403);
    expect((await call(lab, workUrl(other.id, refOf('Ada')), { cookie: instructor })).status).toBe(
      404,
    );
  });

  it("walks a class's lessons in the instructor's order; the rest of the course stays below", async () => {
    const made = await createClass(lab, instructor, {
      name: 'Backwards',
      lessons: ['02-verifier', '01-hello'],
    });
    const only = await createClass(lab, instructor, {
      name: 'Verifier only',
      lessons: ['02-verifier'],
    });
    const ada = await learnerCookie(lab.url);
    const bob = await learnerCookie(lab.url);
    const cy = await learnerCookie(lab.url);
    await joinClass(lab, ada, made.joinCode, 'Ada');
    await joinClass(lab, cy, only.joinCode, 'Cy');
    const course = async (cookie: string) =>
      json<Course>(await call(lab, '/api/course', { cookie }));
    const lesson = async (cookie: string, id: string) =>
      json<LessonReply>(await call(lab, `/api/lessons/${id}`, { cookie }));
    const ids = (lessons: { id: string }[]) => lessons.map((l) => l.id);

    const adas = await course(ada);
    expect(adas.className).toBe('Backwards');
    expect(ids(adas.lessons)).toEqual(['02-verifier', '01-hello']);
    expect(adas.otherLessons).toEqual([]);
    expect(await lesson(ada, '02-verifier')).toMatchObject({
      prev: null,
      next: { id: '01-hello' },
    });
    expect(await lesson(ada, '01-hello')).toMatchObject({
      prev: { id: '02-verifier' },
      next: null,
    });

    const cys = await course(cy);
    expect(ids(cys.lessons)).toEqual(['02-verifier']);
    expect(ids(cys.otherLessons)).toEqual(['01-hello']);
    expect(await lesson(cy, '02-verifier')).toMatchObject({ prev: null, next: null });

    // Someone in no class: the course as it is.
    const bobs = await course(bob);
    expect(bobs.className).toBeNull();
    expect(ids(bobs.lessons)).toEqual(['01-hello', '02-verifier']);
    expect(await lesson(bob, '01-hello')).toMatchObject({
      prev: null,
      next: { id: '02-verifier' },
    });
  });

  it('a learner in no class cannot raise a hand; nothing else changes for them', async () => {
    const solo = await learnerCookie(lab.url);
    const tab = await openTab(solo);
    tab.send({ type: 'raise-hand' });
    await tab.waitFor(() => tab.messages.some((m) => m.type === 'hand'), 'the refusal', 10_000);
    expect(tab.messages.find((m) => m.type === 'hand')).toEqual({
      type: 'hand',
      raised: false,
      refused: 'Raise hand is for classes: join one with its code first.',
    });
  });

  it("a broadcast reaches that class's learners only; ending a sandbox frees it", async () => {
    const first = await createClass(lab, instructor, { name: 'First' });
    const second = await createClass(lab, instructor, { name: 'Second' });
    const ada = await learnerCookie(lab.url);
    const cy = await learnerCookie(lab.url);
    await joinClass(lab, ada, first.joinCode, 'Ada');
    await joinClass(lab, cy, second.joinCode, 'Cy');
    const adaTab = await openTab(ada);
    const cyTab = await openTab(cy);
    await adaTab.waitFor(() => adaTab.status().startsWith('ready'), 'a sandbox', 10_000);
    const sent = await call(lab, `/api/teach/classes/${first.id}/broadcast`, {
      cookie: instructor,
      body: { text: 'Break: back at 10:30' },
    });
    expect(await json(sent)).toEqual({ reached: 1 });
    await adaTab.waitFor(
      () => adaTab.messages.some((m) => m.type === 'banner'),
      'the banner',
      10_000,
    );
    expect(adaTab.messages.find((m) => m.type === 'banner')).toMatchObject({
      classId: first.id,
      className: 'First',
      text: 'Break: back at 10:30',
    });
    const mine = await json<LearnerClassroom>(await call(lab, '/api/classroom', { cookie: ada }));
    expect(mine.classes[0]?.banner?.text).toBe('Break: back at 10:30');
    expect(cyTab.messages.some((m) => m.type === 'banner')).toBe(false);

    const ref = (
      await json<ClassDashboard>(
        await call(lab, `/api/teach/classes/${first.id}`, { cookie: instructor }),
      )
    ).learners[0]?.ref;
    const ended = await call(lab, `/api/teach/classes/${first.id}/learners/${ref}/end-sandbox`, {
      cookie: instructor,
      body: {},
    });
    expect(await json(ended)).toEqual({ ended: true });
    expect(lab.registry.find(ada.split('=')[1] as string)?.hasSandbox).toBe(false);
    await adaTab.waitFor(
      () => /instructor stopped your sandbox/.test(adaTab.status()),
      'told',
      10_000,
    );
  });
});

describe("the classroom's pages", () => {
  it('serve the client for joining, resuming and /teach to anyone, and /teach/:id to the instructor', async () => {
    const clientDir = mkdtempSync(join(tmpdir(), 'ebpf-lab-client-'));
    dataDirs.push(clientDir);
    writeFileSync(join(clientDir, 'index.html'), '<!doctype html><p>the client</p>');
    const lab = await startLab(undefined, clientDir);
    try {
      const instructor = await signIn(lab);
      const learner = await learnerCookie(lab.url);
      for (const path of ['/join/K7M2QX', '/join', '/resume', '/teach']) {
        const response = await call(lab, path, { cookie: learner });
        expect([path, response.status, await response.text()]).toEqual([
          path,
          200,
          '<!doctype html><p>the client</p>',
        ]);
      }
      const dashboard = await call(lab, '/teach/1', { cookie: instructor });
      expect([dashboard.status, await dashboard.text()]).toEqual([
        200,
        '<!doctype html><p>the client</p>',
      ]);
      expect((await call(lab, '/teach/1', { cookie: learner })).status).toBe(303);
    } finally {
      await stopLab(lab);
    }
  });
});

describe('the classroom across a restart', () => {
  afterAll(async () => {
    for (const server of running.splice(0)) await server.close();
  });

  it('keeps classes, members, their progress and the instructor signed in', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ebpf-lab-classroom-'));
    dataDirs.push(dataDir);
    const first = await startLab(dataDir);
    const instructor = await signIn(first);
    const made = await createClass(first, instructor, { name: 'Kept', lessons: ['01-hello'] });
    const ada = await learnerCookie(first.url);
    const joined = await joinClass(first, ada, made.joinCode, 'Ada');
    await call(first, '/api/progress/01-hello', { cookie: ada, body: { state: 'done' } });
    await call(first, `/api/teach/classes/${made.id}/close`, { cookie: instructor, body: {} });
    const oldLink = first.instructorUrl;
    await stopLab(first);

    const second = await startLab(dataDir);
    // The new start made a new link: the old one no longer signs in; the session still works.
    expect(second.instructorUrl).not.toBe(oldLink);
    const stale = await call(second, '/api/instructor/session', {
      body: { secret: new URL(oldLink).hash.slice(1) },
    });
    expect(stale.status).toBe(403);
    const dashboard = await json<ClassDashboard>(
      await call(second, `/api/teach/classes/${made.id}`, { cookie: instructor }),
    );
    expect(dashboard.class).toMatchObject({ name: 'Kept', open: false, memberCount: 1 });
    expect(dashboard.learners[0]).toMatchObject({ name: 'Ada', lessonsDone: 1 });
    const secret = new URL(joined.resumeUrl).hash.slice(1);
    const resumed = await call(second, '/api/resume', {
      cookie: await learnerCookie(second.url),
      body: { secret },
    });
    expect(resumed.status).toBe(200);
  });
});

describe('joining, rate-limited per address', () => {
  afterAll(async () => {
    for (const server of running.splice(0)) await server.close();
  });

  it('wrong codes run out, then every attempt waits, told how long', async () => {
    const lab = await startLab();
    const instructor = await signIn(lab);
    const made = await createClass(lab, instructor, { name: 'Guarded' });
    const cookie = await learnerCookie(lab.url);
    const wrong = made.joinCode === 'ZZZZZZ' ? 'YYYYYY' : 'ZZZZZZ';
    for (let i = 0; i < ENTRY_MISSES.burst; i++) {
      const miss = await call(lab, '/api/classes/join', {
        cookie,
        body: { code: wrong, name: 'G' },
      });
      expect(await json(miss, 404)).toEqual({
        error: `No class has the code ${wrong}: check it with your instructor.`,
      });
    }
    const limited = await call(lab, '/api/classes/join', {
      cookie,
      body: { code: made.joinCode, name: 'G' },
    });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.json()).error).toMatch(/^Too many attempts from your network address/);
    const typo = await call(lab, '/api/resume', { cookie, body: { secret: 'x'.repeat(43) } });
    expect(typo.status).toBe(429);
  });
});
