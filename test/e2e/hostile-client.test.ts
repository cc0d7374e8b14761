/**
 * The lab against a hostile web page and a hostile learner, with a real server and real
 * sandboxes on 127.0.0.1 (issue 13): a rebound host name is refused everywhere; a flood of
 * messages from one tab is cut down while /healthz stays fast and the learner's next Run
 * works; sessions per address and tabs per learner are bounded; a learner who finds every
 * sandbox taken waits in line, told their place, and gets one when it frees up (a slot held
 * by a tab that never did anything is reclaimed for them).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { resolveConfig } from '../../app/server/config.js';
import { type LabServer, startLabServer } from '../../app/server/server.js';
import { SandboxPool } from '../../runner/sandbox/pool.js';
import { QemuSandboxDriver } from '../../runner/sandbox/qemu.js';
import { FIXTURE_COURSE, HELLO_RUN, TEST_CAPACITY } from './helpers.js';
import { LabTab, learnerCookie, startServeProcess } from './lab-client.js';

/** Sandboxes boot under software emulation, maybe beside others: generous, as in sandbox tests. */
const SANDBOX_TEST_MS = 300_000;

let dataDir: string;
let pool: SandboxPool;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'ebpf-lab-hostile-'));
  pool = new SandboxPool(new QemuSandboxDriver(), 0);
});

afterAll(async () => {
  await pool?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A lab on 127.0.0.1 with these settings; closed by the caller. */
function startLab(settings: { maxSessions?: number; sessionsPerAddress?: number } = {}) {
  return startLabServer(
    resolveConfig({
      port: 0,
      dataDir: mkdtempSync(join(dataDir, 'lab-')),
      warmSandboxes: 0,
      lessonsDir: FIXTURE_COURSE,
      maxSessions: TEST_CAPACITY,
      ...settings,
    }),
    pool,
    { reclaim: { unusedGraceMs: 3_000, idleReclaimMs: 600_000, checkEveryMs: 500 } },
  );
}

/** One raw HTTP request with the Host header it names (fetch will not send a foreign Host). */
function rawGet(
  url: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a web page that rebinds its name to 127.0.0.1', () => {
  let lab: LabServer;
  beforeAll(async () => {
    lab = await startLab();
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('is refused on every route and mints no learner', async () => {
    const port = new URL(lab.url).port;
    const evil = { host: `evil.example:${port}`, origin: `http://evil.example:${port}` };
    for (const path of ['/api/course', '/', '/healthz', '/assets/main.js', '/nope']) {
      const res = await rawGet(`${lab.url}${path}`, evil);
      expect(res.status, path).toBe(421);
      expect(res.headers['set-cookie'], path).toBeUndefined();
    }
    const post = await rawGet(`${lab.url}/api/progress/01-hello`, evil, 'POST');
    expect(post.status).toBe(421);
    const cookie = await learnerCookie(lab.url);
    await expect(LabTab.open(lab.url, cookie, evil)).rejects.toThrow('HTTP 421');
    // The lab's own names still work, and a foreign Origin on the lab's name is still refused.
    expect((await rawGet(`${lab.url}/healthz`, { host: `localhost:${port}` })).status).toBe(200);
    const foreign = await rawGet(
      `${lab.url}/api/progress/01-hello`,
      { host: `127.0.0.1:${port}`, origin: 'http://evil.example', cookie },
      'POST',
    );
    expect(foreign.status).toBe(403);
  });
});

describe('tabs of one learner', () => {
  let lab: LabServer;
  beforeAll(async () => {
    lab = await startLab();
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('refuses a ninth tab of one learner, saying why', async () => {
    const cookie = await learnerCookie(lab.url);
    const tabs = await Promise.all(Array.from({ length: 8 }, () => LabTab.open(lab.url, cookie)));
    const extra = await LabTab.open(lab.url, cookie);
    await extra.waitFor(() => extra.closed, 'the ninth tab to be refused', 10_000);
    const refusal = extra.messages.find((m) => m.type === 'error');
    expect(refusal?.type === 'error' && refusal.message).toContain('tabsPerLearner');
    for (const tab of tabs) tab.close();
  });
});

describe('capacity: bounded per client, a line instead of a refusal', () => {
  let lab: LabServer;
  beforeAll(async () => {
    lab = await startLab({ maxSessions: 1, sessionsPerAddress: 3 });
  });
  afterAll(async () => {
    await lab?.close();
  });

  it(
    'queues the second learner, told their place, and reclaims an unused sandbox for them',
    async () => {
      const idleCookie = await learnerCookie(lab.url);
      const idle = await LabTab.open(lab.url, idleCookie);
      await idle.waitFor(() => idle.status().startsWith('ready'), 'the first sandbox to start');
      const waitingCookie = await learnerCookie(lab.url);
      const waiting = await LabTab.open(lab.url, waitingCookie);
      await waiting.waitFor(
        () => waiting.status().includes('1st in line'),
        'the second learner to be told their place',
        30_000,
      );
      expect(waiting.status()).toContain('every sandbox is in use (1 of 1)');
      const health = await (await fetch(`${lab.url}/healthz`)).json();
      expect(health.sandboxes).toMatchObject({ inUse: 1, capacity: 1, waiting: 1 });
      // The first tab never did anything: after the grace its sandbox goes to the one waiting.
      await idle.waitFor(
        () => idle.status().includes('given to a waiting learner'),
        'the unused sandbox to be reclaimed',
      );
      await waiting.waitFor(() => waiting.status().startsWith('ready'), 'the sandbox to arrive');
      waiting.send(HELLO_RUN);
      await waiting.waitFor(() => waiting.status().startsWith('attached'), 'the probe to attach');
      // A third learner from this address is still admitted (to the line); a fourth is not.
      const third = await LabTab.open(lab.url, await learnerCookie(lab.url));
      const fourth = await LabTab.open(lab.url, await learnerCookie(lab.url));
      await fourth.waitFor(() => fourth.closed, 'the fourth learner to be refused', 10_000);
      const refusal = fourth.messages.find((m) => m.type === 'error');
      expect(refusal?.type === 'error' && refusal.message).toContain('sessionsPerAddress');
      for (const tab of [idle, waiting, third]) tab.close();
    },
    SANDBOX_TEST_MS,
  );
});

/** The resident memory of a process, in MB. */
function rssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

/**
 * A tab that never reads its socket and acknowledges output it never saw (the worst a script
 * can do to flow control), for `stream`.
 */
async function lyingTab(baseUrl: string, cookie: string): Promise<() => void> {
  const socket = new WebSocket(`${baseUrl.replace('http', 'ws')}/ws`, {
    headers: { cookie, origin: baseUrl },
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.pause();
  const lies = setInterval(() => {
    socket.send(JSON.stringify({ type: 'ack', stream: 'shell', bytes: 1_000_000_000 }));
  }, 100);
  return () => {
    clearInterval(lies);
    socket.terminate();
  };
}

describe('tabs that stop reading while the shell floods', () => {
  it(
    'cost the lab server a bounded amount of memory, also after they close',
    async () => {
      const server = await startServeProcess(FIXTURE_COURSE);
      const { url, pid } = server;
      try {
        const cookie = await learnerCookie(url);
        const reader = await LabTab.open(url, cookie);
        await reader.waitFor(() => reader.status().startsWith('ready'), 'the sandbox to start');
        const liars = await Promise.all(Array.from({ length: 6 }, () => lyingTab(url, cookie)));
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        const before = rssMb(pid);
        reader.send({ type: 'shell-input', data: 'yes 0123456789abcdefghijklmnopqrstuvwxyz\r' });
        // Enough output that six unbounded copies would be plain to see.
        const floodMb = 24;
        await reader.waitFor(
          () => reader.shell.length > floodMb * 1024 * 1024,
          `${floodMb} MB of shell output`,
          240_000,
        );
        const during = rssMb(pid);
        reader.send({ type: 'shell-input', data: '\x03' });
        for (const stop of liars) stop();
        await new Promise((resolve) => setTimeout(resolve, 10_000)); // the tabs are gone
        const after = rssMb(pid);
        console.log(
          `lab server resident: ${before.toFixed(0)} MB before, ${during.toFixed(0)} MB after ${floodMb} MB of output to 6 tabs that did not read, ${after.toFixed(0)} MB 10 s after they closed`,
        );
        // Unbounded, six tabs would hold ~6 x 24 MB (as UTF-16 strings, twice that).
        expect(during - before).toBeLessThan(64);
        expect(after - before).toBeLessThan(64);
        reader.close();
      } finally {
        await server.stop();
      }
    },
    SANDBOX_TEST_MS,
  );
});
