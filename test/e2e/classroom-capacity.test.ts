/**
 * A class on a lab with room for two sandboxes, real qemu ones (issue 12, Capacity): three
 * learners join; the first two get sandboxes, the third waits in line, told their place, with
 * the lesson still readable; the instructor's dashboard shows both slots in use and the one
 * waiting. When the first learner leaves (closes the tab), the third gets a sandbox by itself,
 * and their Run of hello_world attaches and prints Hello World when the shell forks.
 *
 * Idle learners' slots are never reclaimed here (the reclaim policy is set out of reach): the
 * third gets a slot only because another learner left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabServer } from '../../app/server/server.js';
import {
  call,
  createClass,
  dashboardOf,
  joinAsNewLearner,
  sandboxProcessesOf,
  signIn,
  until,
} from './classroom-client.js';
import { HELLO_RUN } from './helpers.js';
import { LabTab } from './lab-client.js';
import { startQemuLab } from './qemu-lab.js';

const BOOT_MS = 300_000;
const NEVER = 24 * 3_600_000;

let lab: LabServer;
let closeLab: (() => Promise<void>) | undefined;
const tabs: LabTab[] = [];

beforeAll(async () => {
  ({ lab, close: closeLab } = await startQemuLab(
    {
      maxSessions: 2,
      // A closed tab's sandbox goes soon, not after the usual minute.
      reconnectGraceMs: 1_000,
    },
    {
      reclaim: { unusedGraceMs: NEVER, idleReclaimMs: NEVER, checkEveryMs: 1_000 },
      dashboardTiming: { pushEveryMs: 100, refreshEveryMs: 2_000 },
    },
  ));
});

afterAll(async () => {
  for (const tab of tabs) tab.close();
  await closeLab?.();
});

describe('a class with two sandbox slots and three learners', () => {
  it('queues the third with their place, and gives them a sandbox when another leaves', async () => {
    const instructor = await signIn(lab.url, lab.instructorUrl);
    const klass = await createClass(lab.url, instructor, 'Capacity check');
    const names = ['Ada', 'Barbara', 'Charles'];
    const learners = [];
    for (const name of names) learners.push(await joinAsNewLearner(lab.url, klass.joinCode, name));
    const [ada, barbara, charles] = learners as [
      (typeof learners)[0],
      (typeof learners)[0],
      (typeof learners)[0],
    ];

    // The first two open the lab: each gets a slot and boots a sandbox.
    const open = async (cookie: string) => {
      const tab = await LabTab.open(lab.url, cookie);
      tabs.push(tab);
      tab.send({ type: 'view', lessonId: '01-hello' });
      return tab;
    };
    const adaTab = await open(ada.cookie);
    const barbaraTab = await open(barbara.cookie);
    // The third opens it while both slots are taken (the sandboxes are still booting).
    const charlesTab = await open(charles.cookie);
    await charlesTab.waitFor(() => /in line/.test(charlesTab.status()), 'a place in line', 30_000);
    expect(charlesTab.status()).toMatch(
      /^starting: .*every sandbox is in use \(2 of 2\): you are 1st in line/,
    );
    // The lesson and the editor's files stay usable meanwhile.
    const lesson = await (
      await call(lab.url, '/api/lessons/01-hello', { cookie: charles.cookie })
    ).json();
    expect(lesson.files[0].name).toBe('hello_world.c');

    const ready = (tab: LabTab) => () => tab.status().startsWith('ready');
    await adaTab.waitFor(ready(adaTab), "Ada's sandbox", BOOT_MS);
    await barbaraTab.waitFor(ready(barbaraTab), "Barbara's sandbox", BOOT_MS);
    expect(sandboxProcessesOf(process.pid)).toHaveLength(2);
    expect(charlesTab.status()).toMatch(/1st in line/);

    // The instructor sees both slots in use, one learner waiting, and who waits.
    const waiting = await dashboardOf(lab.url, instructor, klass.id);
    expect(waiting.sandboxes).toEqual({ inUse: 2, capacity: 2, waiting: 1 });
    const sandboxOf = (name: string) =>
      waiting.learners.find((learner) => learner.name === name)?.activity;
    expect(sandboxOf('Ada')).toMatchObject({ sandbox: 'running' });
    expect(sandboxOf('Barbara')).toMatchObject({ sandbox: 'running' });
    expect(sandboxOf('Charles')).toMatchObject({ sandbox: 'queued', queuePlace: 1 });

    // Still waiting a while later: nothing but a learner leaving frees a slot here.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(charlesTab.status()).toMatch(/1st in line/);

    // Ada leaves; Charles's sandbox starts by itself.
    const pidOf = (cookie: string) => lab.registry.find(cookie.split('=')[1] ?? '')?.sandboxPid;
    const adaPid = pidOf(ada.cookie);
    expect(sandboxProcessesOf(process.pid)).toContain(adaPid);
    adaTab.close();
    await charlesTab.waitFor(ready(charlesTab), "Charles's sandbox", BOOT_MS);
    const now = sandboxProcessesOf(process.pid);
    expect(now).toHaveLength(2);
    expect(now).not.toContain(adaPid);
    expect(now).toContain(pidOf(charles.cookie));

    // A real Run: it attaches, and a fork in the shell prints Hello World in the trace.
    charlesTab.send({ type: 'shell-resize', cols: 100, rows: 30 });
    charlesTab.send({ ...HELLO_RUN, lessonId: '01-hello' });
    await charlesTab.waitFor(
      () => charlesTab.status().startsWith('attached'),
      'the probe to attach',
      BOOT_MS,
    );
    expect(charlesTab.status()).toContain('__x64_sys_clone');
    charlesTab.send({ type: 'shell-input', data: 'ls /\r' });
    await charlesTab.waitFor(
      () => charlesTab.trace.includes('Hello World!!'),
      'Hello World in the trace',
    );

    // The dashboard: Charles runs a probe in his own sandbox, Ada is gone, nobody waits.
    let after = await dashboardOf(lab.url, instructor, klass.id);
    await until(
      async () => {
        after = await dashboardOf(lab.url, instructor, klass.id);
        return after.sandboxes.inUse === 2 && after.sandboxes.waiting === 0;
      },
      `the dashboard to show 2 in use and nobody waiting: ${JSON.stringify(after.sandboxes)}`,
      30_000,
    );
    const row = (name: string) => after.learners.find((learner) => learner.name === name);
    expect(row('Charles')?.activity).toMatchObject({ state: 'running', sandbox: 'running' });
    expect(row('Charles')?.runs).toBe(1);
    expect(row('Ada')?.activity).toMatchObject({ state: 'offline', sandbox: 'none' });
    charlesTab.send({ type: 'stop' });
    await charlesTab.waitFor(() => charlesTab.status().startsWith('stopped'), 'the stop');
  });
});
