/**
 * The server and its database, without a sandbox: a learner's progress posted over HTTP is in
 * the database after a restart, and a data directory from before the database has its
 * progress.json imported on the first start.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../runner/paths.js';
import { TEST_CAPACITY } from '../../test/e2e/helpers.js';
import { resolveConfig } from './config.js';
import { type LabServer, startLabServer } from './server.js';
import type { SandboxSource } from './session.js';

const COURSE = join(PACKAGE_ROOT, 'test', 'fixtures', 'course');
const LESSON = '01-hello';
const LEARNER = 'ab'.repeat(16);
const cookie = `ebpf_lab_learner=${LEARNER}`;

/** No test here starts a sandbox. */
const NO_SANDBOXES: SandboxSource = {
  acquire: () => Promise.reject(new Error('no sandbox in this test')),
};

let dataDir: string;
let lab: LabServer | undefined;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'ebpf-lab-server-data-'));
});
afterEach(async () => {
  await lab?.close();
  lab = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(log?: (text: string) => void): Promise<LabServer> {
  lab = await startLabServer(
    resolveConfig({
      port: 0,
      dataDir,
      warmSandboxes: 0,
      lessonsDir: COURSE,
      maxSessions: TEST_CAPACITY,
    }),
    NO_SANDBOXES,
    { log },
  );
  return lab;
}

async function states(server: LabServer): Promise<Record<string, string>> {
  const course = (await (
    await fetch(`${server.url}/api/course`, { headers: { cookie } })
  ).json()) as {
    lessons: { id: string; state: string }[];
  };
  return Object.fromEntries(course.lessons.map((l) => [l.id, l.state]));
}

describe('the server keeps progress in its database', () => {
  it('across a restart', async () => {
    const first = await start();
    expect((await states(first))[LESSON]).toBe('new');
    const posted = await fetch(`${first.url}/api/progress/${LESSON}`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', origin: first.url },
      body: JSON.stringify({ state: 'done' }),
    });
    expect(posted.status).toBe(204);
    await first.close();
    lab = undefined;

    const second = await start();
    expect((await states(second))[LESSON]).toBe('done');
  });

  it('importing progress.json on the first start', async () => {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(
      join(dataDir, 'progress.json'),
      JSON.stringify({ [LEARNER]: { [LESSON]: 'started' } }),
    );
    const logged: string[] = [];
    const server = await start((text) => logged.push(text));
    expect((await states(server))[LESSON]).toBe('started');
    expect(logged).toEqual([expect.stringMatching(/^imported the progress of 1 learner\(s\)/)]);
    expect(existsSync(join(dataDir, 'progress.json.imported'))).toBe(true);
  });
});
