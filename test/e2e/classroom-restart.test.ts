/**
 * A class survives `kill -9` of the lab (issue 12, Data): `ebpf-lab serve` runs as a process
 * of its own on a data directory of the test's; the instructor creates a class, a learner
 * joins, Runs hello_world and passes lesson 1's checks in a real sandbox. Then the server is
 * killed with SIGKILL (its sandbox goes with it) and started again on the same port and data
 * directory: the class, its member, their progress (lesson done, the run and the check) and
 * the dashboard are all there for the instructor's same cookie, and the learner's client,
 * connecting again with its cookie, is the same learner with their progress.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LearnerClassroom } from '../../app/shared/classroom-api.js';
import type { Course } from '../../app/shared/http-api.js';
import { PACKAGE_ROOT } from '../../runner/paths.js';
import {
  call,
  createClass,
  DashboardSocket,
  dashboardOf,
  exportOf,
  joinAsNewLearner,
  json,
  processAlive,
  sandboxProcessesOf,
  signIn,
  until,
} from './classroom-client.js';
import { FIXTURE_COURSE, HELLO_RUN } from './helpers.js';
import { LabTab } from './lab-client.js';

const BOOT_MS = 300_000;
const NAME = 'Zoë O’Brien, "row 3"';

interface Serve {
  child: ChildProcess;
  url: string;
  instructorUrl: string;
}

let dataDir: string;
let port: number;
let serve: Serve | undefined;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** `ebpf-lab serve` on `port` and `dataDir`, until it prints its address and instructor link. */
async function startServe(): Promise<Serve> {
  const child = spawn(
    process.execPath,
    [
      join(PACKAGE_ROOT, 'bin', 'ebpf-lab.js'),
      'serve',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--lessons',
      FIXTURE_COURSE,
    ],
    {
      env: { ...process.env, EBPF_LAB_DATA: dataDir, EBPF_LAB_WARM_SANDBOXES: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const started = new Promise<Serve>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      const url = /ebpf-lab ready at (\S+)/.exec(out)?.[1];
      const instructorUrl = /instructor: (\S+)/.exec(out)?.[1];
      if (url && instructorUrl) resolve({ child, url, instructorUrl });
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`serve exited (${code ?? signal}) before it was ready: ${out}`)),
    );
  });
  return started;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ebpf-lab-restart-'));
  port = await freePort();
});

afterAll(async () => {
  if (serve) {
    serve.child.kill('SIGTERM');
    await exited(serve.child);
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a class across kill -9 of the lab', () => {
  it('keeps the class, its learner, their progress and the dashboard', async () => {
    serve = await startServe();
    const { url } = serve;
    expect(url).toBe(`http://127.0.0.1:${port}`);
    const instructor = await signIn(url, serve.instructorUrl);
    const klass = await createClass(url, instructor, 'Thursday, kill -9');
    const learner = await joinAsNewLearner(url, klass.joinCode, NAME);
    const learnerId = learner.cookie.split('=')[1];

    // The learner Runs hello_world (it attaches), then passes the lesson's checks.
    const tab = await LabTab.open(url, learner.cookie);
    tab.send({ type: 'view', lessonId: '01-hello' });
    await tab.waitFor(() => tab.status().startsWith('ready'), 'the sandbox', BOOT_MS);
    expect(tab.messages.find((m) => m.type === 'hello')).toMatchObject({ sessionId: learnerId });
    tab.send({ ...HELLO_RUN, lessonId: '01-hello' });
    await tab.waitFor(() => tab.status().startsWith('attached'), 'the probe to attach', BOOT_MS);
    const lesson = await json<{ files: { name: string; starter: string; solution?: string }[] }>(
      await call(url, '/api/lessons/01-hello', { cookie: learner.cookie }),
    );
    const files = Object.fromEntries(lesson.files.map((f) => [f.name, f.solution ?? f.starter]));
    tab.send({ type: 'check', lessonId: '01-hello', files });
    await tab.waitFor(
      () => tab.messages.some((m) => m.type === 'check-done'),
      'the checks',
      BOOT_MS,
    );
    expect(tab.messages.find((m) => m.type === 'check-done')).toMatchObject({ passed: true });

    const before = await dashboardOf(url, instructor, klass.id);
    expect(before.learners).toHaveLength(1);
    expect(before.learners[0]).toMatchObject({ name: NAME, lessonsDone: 1, runs: 1, checks: 1 });

    // kill -9: no chance to close anything. Its sandbox must not outlive it.
    const sandboxes = sandboxProcessesOf(serve.child.pid as number);
    expect(sandboxes).toHaveLength(1);
    serve.child.kill('SIGKILL');
    await exited(serve.child);
    await until(() => sandboxes.every((pid) => !processAlive(pid)), 'the sandbox to go', 15_000);
    await tab.waitFor(() => tab.closed, 'the tab to see the lab go', 10_000).catch(() => {});
    expect(tab.closed).toBe(true);

    // The same port, the same data directory.
    serve = await startServe();
    expect(serve.url).toBe(url);

    // The instructor's cookie still signs them in; the class is as it was.
    const after = await dashboardOf(url, instructor, klass.id);
    expect(after.class).toMatchObject({ id: klass.id, name: klass.name, joinCode: klass.joinCode });
    expect(after.learners).toHaveLength(1);
    expect(after.learners[0]).toMatchObject({
      ref: before.learners[0]?.ref,
      name: NAME,
      lessonsDone: 1,
      runs: 1,
      checks: 1,
      lastOutcome: { kind: 'check', outcome: 'passed', lessonId: '01-hello' },
      activity: { state: 'offline' },
    });
    expect(after.grid.rows[0]?.cells[0]).toBe('done');
    const exported = await exportOf(url, instructor, klass.id);
    expect(exported.rows.find((r) => r.lessonId === '01-hello')).toMatchObject({
      learner: NAME,
      done: true,
      checksPassed: 3,
      checksTotal: 3,
      runs: 1,
      checks: 1,
    });

    // The learner's client connects again with its cookie: the same learner, lesson done.
    const course = await json<Course>(await call(url, '/api/course', { cookie: learner.cookie }));
    expect(course.lessons.find((l) => l.id === '01-hello')?.state).toBe('done');
    const classroom = await json<LearnerClassroom>(
      await call(url, '/api/classroom', { cookie: learner.cookie }),
    );
    expect(classroom.classes).toMatchObject([{ id: klass.id, displayName: NAME }]);
    const dashboard = await DashboardSocket.watch(url, instructor, klass.id);
    try {
      const again = await LabTab.open(url, learner.cookie);
      again.send({ type: 'view', lessonId: '01-hello' });
      await again.waitFor(() => again.messages.some((m) => m.type === 'hello'), 'the hello');
      expect(again.messages.find((m) => m.type === 'hello')).toMatchObject({
        sessionId: learnerId,
      });
      // The live dashboard shows that very member back online.
      const online = await dashboard.waitFor(
        (d) => d.learners[0]?.activity.state !== 'offline',
        'the learner back online',
      );
      expect(online.learners).toHaveLength(1);
      expect(online.learners[0]).toMatchObject({ ref: before.learners[0]?.ref, lessonsDone: 1 });
      again.close();
    } finally {
      dashboard.close();
    }
  });
});
