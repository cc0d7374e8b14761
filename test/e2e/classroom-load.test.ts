/**
 * A bounded load test of a class (issue 12): 30 simulated learners (WebSocket clients) join one
 * class on a lab with two real qemu sandbox slots (this 2-core machine's size), raise a hand,
 * and Run hello_world at once. Two get sandboxes, the rest wait in line; whoever gets one sees
 * the probe attach and Hello World in the trace (every third also passes lesson 1's checks),
 * then leaves, letting the next in. After PHASE_MS everyone still there leaves.
 *
 * Throughout, the server stays responsive: /healthz answers within HEALTH_LIMIT_MS, and the
 * instructor's dashboard socket answers a fresh `watch` within the same time and keeps pushing
 * the learners' progress; never more sandboxes than slots. Afterwards nothing acknowledged to a
 * learner is missing from the class's export and dashboard (nor anything a learner never sent),
 * and no sandbox is left: no session, no slot in use, no qemu process of this server.
 */
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabServer } from '../../app/server/server.js';
import type { ClassDashboard } from '../../app/shared/classroom-api.js';
import type { Healthz } from '../../app/shared/http-api.js';
import {
  call,
  createClass,
  DashboardSocket,
  dashboardOf,
  exportOf,
  joinAsNewLearner,
  json,
  sandboxProcessesOf,
  signIn,
  until,
} from './classroom-client.js';
import { HELLO_RUN } from './helpers.js';
import { LabTab } from './lab-client.js';
import { startQemuLab } from './qemu-lab.js';

const LEARNERS = 30;
const SLOTS = 2;
/** How long learners keep coming and going before all who are left leave. */
const PHASE_MS = 150_000;
/**
 * /healthz and a fresh dashboard `watch`: 95% of answers within HEALTH_LIMIT_MS, every one
 * within HEALTH_CAP_MS. Not every one within 2 s: on this shared 2-core machine the whole
 * process can go unscheduled for 2-3 s, the server doing nothing wrong (a CPU profile showed
 * such gaps with the event loop idle; an idle bystander process saw stalls of up to 3.2 s
 * during the same run).
 */
const HEALTH_LIMIT_MS = 2_000;
const HEALTH_CAP_MS = 5_000;
const LESSON = '01-hello';

let lab: LabServer;
let closeLab: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ lab, close: closeLab } = await startQemuLab({
    maxSessions: SLOTS,
    // A learner who leaves frees their slot soon, not after the usual minute.
    reconnectGraceMs: 500,
  }));
});

afterAll(async () => {
  await closeLab?.();
});

/** One simulated learner: what they sent, and what the lab acknowledged. */
interface Learner {
  name: string;
  cookie: string;
  tab?: LabTab;
  runsSent: number;
  /** Runs that attached or were refused for the learner's code (the lab told them). */
  runsAcked: number;
  checksSent: number;
  /** Check-done after checks that ran to their end (recorded before the learner is told). */
  checksAcked: number;
  handAcked: boolean;
  sawPlace: boolean;
  helloWorld: boolean;
  /** Left by themselves after their work, rather than being cut off at the end. */
  finished: boolean;
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length * 0.95) - 1] ?? Number.POSITIVE_INFINITY;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function countAcks(learner: Learner): void {
  const messages = learner.tab?.messages ?? [];
  learner.runsAcked = messages.filter(
    (m) => m.type === 'attached' || (m.type === 'run-error' && m.kind !== 'sandbox'),
  ).length;
  learner.checksAcked = messages.filter((m, index) => {
    if (m.type !== 'check-done') return false;
    const next = messages.slice(index + 1).find((n) => n.type === 'status');
    return !(next?.type === 'status' && next.text.startsWith('The checks could not finish'));
  }).length;
  learner.handAcked = messages.some((m) => m.type === 'hand' && m.raised);
  learner.sawPlace = messages.some((m) => m.type === 'status' && /in line/.test(m.text));
}

/** The learner's session: raise a hand, Run, and once a sandbox came, trigger, check, leave. */
async function work(learner: Learner, index: number, files: Record<string, string>) {
  const tab = learner.tab as LabTab;
  tab.send({ type: 'view', lessonId: LESSON });
  tab.send({ type: 'raise-hand' });
  tab.send({ ...HELLO_RUN, lessonId: LESSON });
  learner.runsSent++;
  await tab.waitFor(
    () => tab.messages.some((m) => m.type === 'attached' || m.type === 'run-error'),
    `${learner.name}'s run`,
    PHASE_MS * 2,
  );
  if (tab.messages.some((m) => m.type === 'attached')) {
    tab.send({ type: 'shell-input', data: 'ls /\r' });
    await tab.waitFor(() => tab.trace.includes('Hello World!!'), 'Hello World', 60_000);
    learner.helloWorld = true;
    if (index % 3 === 0) {
      tab.send({ type: 'check', lessonId: LESSON, files });
      learner.checksSent++;
      await tab.waitFor(
        () => tab.messages.some((m) => m.type === 'check-done'),
        `${learner.name}'s checks`,
        120_000,
      );
    }
  }
  learner.finished = true;
  countAcks(learner);
  tab.close();
}

describe(`a class of ${LEARNERS} learners on ${SLOTS} sandbox slots`, () => {
  it('stays responsive, loses nothing acknowledged, and leaks no sandbox', async () => {
    const instructor = await signIn(lab.url, lab.instructorUrl);
    const klass = await createClass(lab.url, instructor, 'Load: thirty at once');
    const lesson = await json<{ files: { name: string; starter: string; solution?: string }[] }>(
      await call(lab.url, `/api/lessons/${LESSON}`),
    );
    const files = Object.fromEntries(lesson.files.map((f) => [f.name, f.solution ?? f.starter]));

    const learners: Learner[] = [];
    for (let i = 0; i < LEARNERS; i++) {
      const name = `Learner ${String(i + 1).padStart(2, '0')}`;
      const { cookie } = await joinAsNewLearner(lab.url, klass.joinCode, name);
      learners.push({
        name,
        cookie,
        runsSent: 0,
        runsAcked: 0,
        checksSent: 0,
        checksAcked: 0,
        handAcked: false,
        sawPlace: false,
        helloWorld: false,
        finished: false,
      });
    }
    const dashboard = await DashboardSocket.watch(lab.url, instructor, klass.id);

    // Monitors: /healthz every second; a fresh watch of the dashboard every 3 s, timed;
    // sandboxes never more than the slots.
    const health: number[] = [];
    const watchReplies: number[] = [];
    const problems: string[] = [];
    let maxSandboxes = 0;
    let monitoring = true;
    const slowHealth: string[] = [];
    const t0 = performance.now();
    const at = (time: number) => `${Math.round((time - t0) / 1000)} s`;
    // This process's event loop (the server's and the clients'), reported for the record.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const healthLoop = (async () => {
      while (monitoring) {
        const started = performance.now();
        try {
          const body = await json<Healthz>(
            await call(lab.url, '/healthz', { timeoutMs: HEALTH_CAP_MS }),
          );
          const took = performance.now() - started;
          health.push(took);
          if (took > 500) slowHealth.push(`${Math.round(took)} ms at ${at(started)}`);
          if (body.sandboxes.inUse > SLOTS) problems.push(`${body.sandboxes.inUse} slots in use`);
        } catch (error) {
          problems.push(`/healthz at ${at(started)}: ${(error as Error).message}`);
        }
        maxSandboxes = Math.max(maxSandboxes, sandboxProcessesOf(process.pid).length);
        await sleep(1_000);
      }
    })();
    const watchLoop = (async () => {
      while (monitoring) {
        await sleep(3_000);
        const count = dashboard.received.length;
        const started = performance.now();
        dashboard.rewatch(klass.id);
        while (dashboard.received.length === count && performance.now() - started < HEALTH_CAP_MS) {
          await sleep(20);
        }
        const reply = dashboard.received[count];
        if (reply) watchReplies.push(reply.at - started);
        else problems.push(`a watch at ${at(started)} got no dashboard within ${HEALTH_CAP_MS} ms`);
      }
    })();

    // Everyone opens the lab, raises a hand and Runs; most wait in line.
    const started = performance.now();
    const sessions: Promise<void>[] = [];
    for (const [index, learner] of learners.entries()) {
      learner.tab = await LabTab.open(lab.url, learner.cookie);
      sessions.push(
        work(learner, index, files).catch((error: Error) => {
          if (!learner.tab?.closed) problems.push(`${learner.name}: ${error.message}`);
        }),
      );
    }

    // The line, as the instructor sees it once everyone is in: places 1..N, no gaps.
    let line: ClassDashboard | undefined;
    await until(
      async () => {
        line = await dashboardOf(lab.url, instructor, klass.id);
        return line.sandboxes.waiting >= LEARNERS - SLOTS - 4;
      },
      'most learners in line',
      30_000,
    );
    const snapshot = line as ClassDashboard;
    const places = snapshot.learners
      .flatMap((l) => (l.activity.sandbox === 'queued' ? [l.activity.queuePlace] : []))
      .sort((a, b) => (a ?? 0) - (b ?? 0));
    expect(snapshot.sandboxes.inUse).toBeLessThanOrEqual(SLOTS);
    expect(places).toEqual(Array.from({ length: places.length }, (_, i) => i + 1));
    expect(places.length).toBe(snapshot.sandboxes.waiting);

    // Learners come and go until PHASE_MS; then whoever is left leaves.
    await Promise.race([Promise.all(sessions), sleep(PHASE_MS - (performance.now() - started))]);
    for (const learner of learners) {
      if (!learner.finished) countAcks(learner);
      learner.tab?.close();
    }
    await Promise.all(sessions);
    const phaseSeconds = (performance.now() - started) / 1000;

    // No sandbox left: sessions end, slots come back, qemu processes exit.
    await until(
      async () => {
        const body = await json<Healthz>(await call(lab.url, '/healthz'));
        return (
          lab.registry.size === 0 &&
          body.sandboxes.inUse === 0 &&
          body.sandboxes.waiting === 0 &&
          sandboxProcessesOf(process.pid).length === 0
        );
      },
      `every session and sandbox to end: ${lab.registry.size} sessions, qemu ${sandboxProcessesOf(process.pid)}`,
      60_000,
    );
    monitoring = false;
    await Promise.all([healthLoop, watchLoop]);

    const served = learners.filter((l) => l.helloWorld);
    // Frames the server pushed by itself: all but the first and the replies to watches.
    const pushes = dashboard.received.length - 1 - watchReplies.length;
    const summary = {
      phaseSeconds: Math.round(phaseSeconds),
      served: served.length,
      checks: learners.reduce((n, l) => n + l.checksAcked, 0),
      healthAnswers: health.length,
      healthP95Ms: Math.round(p95(health)),
      healthMaxMs: Math.round(Math.max(...health)),
      watchReplies: watchReplies.length,
      watchP95Ms: Math.round(p95(watchReplies)),
      watchMaxMs: Math.round(Math.max(...watchReplies)),
      dashboardsPushed: pushes,
      maxSandboxes,
      loopDelayMaxMs: Math.round(loopDelay.max / 1e6),
      loopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e6),
      slowHealth,
      load: os.loadavg(),
    };
    loopDelay.disable();
    console.log(`classroom load: ${JSON.stringify(summary)}`);
    expect(problems).toEqual([]);
    expect(maxSandboxes).toBeLessThanOrEqual(SLOTS);
    expect(p95(health)).toBeLessThan(HEALTH_LIMIT_MS);
    expect(Math.max(...health)).toBeLessThan(HEALTH_CAP_MS);
    expect(health.length).toBeGreaterThan(phaseSeconds / 2);
    expect(p95(watchReplies)).toBeLessThan(HEALTH_LIMIT_MS);
    expect(Math.max(...watchReplies)).toBeLessThan(HEALTH_CAP_MS);
    // Updates flowed by themselves too: at least one per learner served.
    expect(pushes).toBeGreaterThanOrEqual(served.length);
    expect(watchReplies.length).toBeGreaterThan(phaseSeconds / 6);
    // The slots turned over: more learners were served than there are slots.
    expect(served.length).toBeGreaterThan(SLOTS * 2);
    // Everyone but the first in got a place in line; everyone's hand was acknowledged.
    expect(learners.filter((l) => l.sawPlace).length).toBeGreaterThanOrEqual(LEARNERS - SLOTS);
    expect(learners.every((l) => l.handAcked)).toBe(true);

    // Nothing acknowledged is lost, nothing unsent appears: the export, row by row.
    const exported = await exportOf(lab.url, instructor, klass.id);
    const final = await dashboardOf(lab.url, instructor, klass.id);
    expect(final.learners).toHaveLength(LEARNERS);
    for (const learner of learners) {
      const row = exported.rows.find((r) => r.learner === learner.name && r.lessonId === LESSON);
      const live = final.learners.find((l) => l.name === learner.name);
      const what = `${learner.name}: ${JSON.stringify({ learner, row })}`;
      expect(row, what).toBeDefined();
      expect(live?.hand, what).not.toBeNull();
      if (learner.finished) {
        expect(row?.runs, what).toBe(learner.runsAcked);
        expect(row?.checks, what).toBe(learner.checksAcked);
      } else {
        // Cut off at the end: a run may have attached as the tab closed.
        expect(row?.runs, what).toBeGreaterThanOrEqual(learner.runsAcked);
        expect(row?.checks, what).toBeGreaterThanOrEqual(learner.checksAcked);
      }
      expect(row?.runs, what).toBeLessThanOrEqual(learner.runsSent);
      expect(row?.checks, what).toBeLessThanOrEqual(learner.checksSent);
      expect(live?.runs, what).toBe(row?.runs);
      if (learner.checksAcked > 0) expect(row?.done, what).toBe(true);
    }
    // The pushed dashboard caught up with the record too.
    const pushed = await dashboard.waitFor(
      (d) =>
        d.learners.every((l) => {
          const row = exported.rows.find((r) => r.learner === l.name && r.lessonId === LESSON);
          return l.runs === row?.runs && l.checks === row?.checks;
        }),
      "every learner's runs and checks",
      15_000,
    );
    expect(pushed.learners).toHaveLength(LEARNERS);
    dashboard.close();
  }, 360_000);
});
