/**
 * A class in real Chromium against a real lab server with real qemu sandboxes (issue 12). The
 * instructor opens the instructor link and creates a class; three learners join in browsers of
 * their own (one by typing the code on the course page). In their sandboxes: one runs a probe
 * that reads a map value without its NULL check, and the kernel's verifier really refuses it
 * three times; another Runs the guide's hello world, which attaches and prints a real trace line
 * when their shell forks, then passes the lesson's real checks; the last raises a hand. The
 * dashboard shows it all without a reload, the raised hand and the stuck learner on top; View
 * work shows the stuck learner's edit beside the starter and the verifier's own words; a
 * broadcast reaches the learners' lesson pages; the instructor lowers the hand, re-admits a
 * learner; the CSV export holds the right rows. Then the lab restarts on the same port and data
 * (its sandboxes stopped, a new pool for the new lab, as `ebpf-lab serve` run again): the
 * dashboard and the learners' tabs reconnect by themselves, and the learners get new sandboxes.
 * Screenshots go to test-results/screenshots/classroom-*.png.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LabServer } from '../../app/server/server.js';
import { PACKAGE_ROOT } from '../../runner/paths.js';
import { processAlive, sandboxProcessesOf, until } from './classroom-client.js';
import { HELLO_WORLD } from './helpers.js';
import { LabPage } from './lab-page.js';
import { type QemuLab, startQemuLab } from './qemu-lab.js';

// Sandboxes start, compile and load under software emulation on a machine other tests load
// too: every wait that involves a sandbox is long, and so are the tests holding them.
vi.setConfig({ testTimeout: 360_000, hookTimeout: 180_000 });
/** The longest wait for a sandbox to start, or a Run or a Check to finish. */
const SANDBOX_MS = 180_000;

const SCREENSHOTS = join(PACKAGE_ROOT, 'test-results', 'screenshots');
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const LESSON = '01-hello';
/** A display name that must show as typed, never as HTML. */
const XSS_NAME = '<img src=x onerror=alert(1)>';
const LEARNERS = ['Ada Lovelace', 'Grace "Amazing" Hopper, RN', XSS_NAME] as const;
const BROADCAST = 'Break until 10:30 — stretch your legs';
/**
 * A probe the kernel's verifier refuses: it reads a map value without checking the lookup's
 * NULL (the learner's classic mistake; a plain `*(int *)0` clang would optimise away, leaving a
 * program the verifier refuses for another reason).
 */
const BAD_SOURCE = `BPF_HASH(counts, u32, u64);

int hello_world(void *ctx) {
    u32 key = 0;
    u64 *value = counts.lookup(&key);
    // BAD: read through a null pointer (the lookup's NULL when the key is missing)
    bpf_trace_printk("count %llu\\n", *value);
    return 0;
}
`;
/** The line of BAD_SOURCE the verifier refuses (1-based). */
const BAD_LINE = BAD_SOURCE.split('\n').findIndex((line) => line.includes('*value)')) + 1;
const draftKey = (file: string) => `ebpf-lab:lesson:${LESSON}:${file}`;

let qemuLab: QemuLab;
let lab: LabServer;
let browser: Browser;
let dataDir: string;
const contexts: BrowserContext[] = [];
/** Uncaught errors and dialogs (an alert would be the XSS name running) on any page. */
const problems: string[] = [];

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    if (dialog.type() === 'alert') problems.push(`alert: ${dialog.message()}`);
    void dialog.accept();
  });
  return page;
}

const shot = (page: Page, name: string, fullPage = false) =>
  page.screenshot({ path: join(SCREENSHOTS, `classroom-${name}.png`), fullPage });

/**
 * The lab on `port` (0: any free one), on the test's data directory, with real qemu sandboxes
 * from a pool of its own (startQemuLab), as each `ebpf-lab serve` process has.
 */
async function startLab(port: number): Promise<void> {
  qemuLab = await startQemuLab(
    { port, dataDir },
    { dashboardTiming: { pushEveryMs: 100, refreshEveryMs: 5_000 } },
  );
  lab = qemuLab.lab;
}

/** The qemu sandboxes this test process runs now (the lab runs in it). */
const ourSandboxes = () => sandboxProcessesOf(process.pid);

/** Waits until a learner's sandbox is up (the lab says so in the page's status line). */
async function sandboxReady(page: Page): Promise<void> {
  await expect
    .poll(() => page.getByRole('status').first().textContent(), {
      timeout: SANDBOX_MS,
      interval: 1000,
    })
    .toMatch(/Sandbox ready|fresh sandbox is ready/);
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'ebpf-lab-class-ui-'));
  await startLab(0);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await qemuLab?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a class in the browser', () => {
  let teacher: Page;
  let classUrl: string;
  let code: string;
  const learners: Page[] = [];
  /** The learner table's rows, top to bottom, as "name | …" text. */
  const rowNames = () =>
    teacher
      .getByRole('table', { name: 'Learners' })
      .locator('tbody tr .learner-name')
      .allTextContents();
  const rowOf = (name: string) =>
    teacher.locator('tbody tr.learner-row').filter({
      has: teacher.locator('.learner-name', { hasText: name }),
    });

  it('signs the instructor in from the link, and drops the secret from the address bar', async () => {
    teacher = await newPage();
    await teacher.goto(lab.instructorUrl);
    await expect
      .poll(() => teacher.getByRole('heading', { name: 'Your classes' }).isVisible())
      .toBe(true);
    expect(teacher.url()).toBe(`${lab.baseUrl}/teach`);
    // Another browser, without the link, is told where the way in is.
    const stranger = await newPage();
    await stranger.goto(`${lab.baseUrl}/teach`);
    await expect
      .poll(() => stranger.getByRole('heading', { name: 'Sign in as the instructor' }).isVisible())
      .toBe(true);
    await shot(stranger, 'not-signed-in');
  });

  it('creates a class with its lessons in the order ticked, and opens its dashboard', async () => {
    await teacher.getByLabel('Name', { exact: true }).fill('Tuesday workshop');
    // Ticked second lesson first: the class's order is the ticking order.
    await teacher.getByLabel('Verifier fixture').check();
    await teacher.getByLabel('Hello fixture').check();
    await expect
      .poll(() => teacher.getByRole('list', { name: 'Class lessons in order' }).textContent())
      .toMatch(/Verifier fixture[\s\S]*Hello fixture/);
    await teacher.getByRole('button', { name: 'Move Hello fixture up' }).click();
    await expect
      .poll(() => teacher.getByRole('list', { name: 'Class lessons in order' }).textContent())
      .toMatch(/Hello fixture[\s\S]*Verifier fixture/);
    await shot(teacher, 'new-class-form', true);
    await teacher.getByRole('button', { name: 'Create class' }).click();
    await teacher.waitForURL(/\/teach\/\d+$/);
    classUrl = teacher.url();
    code = ((await teacher.locator('.join-code').textContent()) ?? '').trim();
    expect(code).toMatch(/^[A-HJ-KM-NP-Z2-9]{6}$/);
    await expect
      .poll(() => teacher.locator('.join-url').textContent())
      .toBe(`${lab.baseUrl}/join/${code}`);
    await expect.poll(() => teacher.locator('.live-badge').textContent()).toBe('Live');
    // The QR code is an image the page could load (the instructor's cookie went with it).
    await expect
      .poll(() =>
        teacher.locator('.join-qr').evaluate((img) => (img as HTMLImageElement).naturalWidth),
      )
      .toBeGreaterThan(0);
    await shot(teacher, 'dashboard-empty');
  });

  it('lets three learners join in browsers of their own, and each keeps a resume link', async () => {
    for (const [index, name] of LEARNERS.entries()) {
      const page = await newPage();
      learners.push(page);
      if (index === 2) {
        // The third types the code on the course page, as read off the projector.
        await page.goto(`${lab.baseUrl}/`);
        await page.getByLabel('Join a class: code').fill(code.toLowerCase());
        await page.getByRole('button', { name: 'Join', exact: true }).click();
        await page.waitForURL(/\/join\//);
      } else {
        await page.goto(`${lab.baseUrl}/join/${code}`);
      }
      await page.getByLabel('Your name, as your instructor will see it').fill(name);
      await page.getByRole('button', { name: 'Join the class' }).click();
      await expect
        .poll(() => page.getByRole('heading', { name: 'Keep this link' }).isVisible())
        .toBe(true);
      expect(await page.locator('.resume-url').textContent()).toMatch(
        new RegExp(`^${lab.baseUrl}/resume#[A-Za-z0-9_-]{43}$`),
      );
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Welcome, ${name}`);
      if (index === 1) await shot(page, 'joined');
      await page.getByRole('link', { name: 'Continue to the course' }).click();
      await expect
        .poll(() => page.locator('.class-member-note').textContent())
        .toContain('Tuesday workshop');
      // The class's lessons, in its order, under its name.
      expect(await page.getByRole('heading', { name: 'Lessons of Tuesday workshop' }).count()).toBe(
        1,
      );
      expect(
        await page
          .getByRole('list', { name: 'Lessons' })
          .locator('.course-lesson-link')
          .allTextContents(),
      ).toEqual(['Hello fixture', 'Verifier fixture']);
      if (index === 1) await shot(page, 'course-as-member');
    }
    // Without a reload the dashboard has them all, the XSS name as typed.
    await expect.poll(rowNames, { timeout: 10_000 }).toHaveLength(3);
    expect([...(await rowNames())].sort()).toEqual([...LEARNERS].sort());
  });

  it('runs their probes in real sandboxes: refused by the verifier three times, a good Run attached and printing, real checks passed', async () => {
    const [ada, , third] = learners as [Page, Page, Page];
    // Ada's draft in the editor is a probe the verifier rejects; the third's is the guide's
    // hello world, typed in as the lesson asks.
    await ada.evaluate(
      ([key, text]) => localStorage.setItem(key as string, text as string),
      [draftKey('hello_world.c'), BAD_SOURCE],
    );
    await third.evaluate(
      ([key, text]) => localStorage.setItem(key as string, text as string),
      [draftKey('hello_world.c'), HELLO_WORLD],
    );
    for (const page of learners) await page.goto(`${lab.baseUrl}/lessons/${LESSON}`);
    for (const page of learners) {
      await expect
        .poll(() => page.getByRole('button', { name: 'Raise hand' }).isVisible(), {
          timeout: 30_000,
        })
        .toBe(true);
    }
    // Each learner's page has a sandbox of its own: three qemu VMs of this lab.
    for (const page of learners) await sandboxReady(page);
    expect(ourSandboxes()).toHaveLength(3);

    // Three rejected Runs, one at a time: each really compiled and refused by the sandbox's
    // kernel, and counted on the dashboard before the next.
    const adaRuns = () => rowOf('Ada Lovelace').locator('td').nth(5).textContent();
    const adaStatus = ada.getByRole('status').first();
    for (let i = 1; i <= 3; i++) {
      const run = ada.getByRole('button', { name: 'Run', exact: true });
      await expect.poll(() => run.isEnabled(), { timeout: SANDBOX_MS }).toBe(true);
      await run.click();
      await expect.poll(adaRuns, { timeout: SANDBOX_MS, interval: 1000 }).toBe(String(i));
      expect(await adaStatus.getAttribute('data-tone')).toBe('error');
      expect(await adaStatus.textContent()).toMatch(
        /verifier rejected program "hello_world"\. R\d invalid mem access 'map_value_or_null'/,
      );
    }
    // The verifier's complaint is marked on the line it points at.
    expect(await ada.getByRole('list', { name: 'Problems' }).textContent()).toMatch(
      new RegExp(`line ${BAD_LINE}: R\\d invalid mem access 'map_value_or_null'`),
    );
    await shot(ada, 'learner-refused');

    // The third's Run attaches; a fork in their shell prints the probe's line in Trace output.
    const thirdLab = new LabPage(third, SCREENSHOTS);
    await thirdLab.button('Run').click();
    await expect
      .poll(() => thirdLab.statusText(), { timeout: SANDBOX_MS, interval: 1000 })
      .toMatch(/^Attached to kprobe __x64_sys_clone/);
    await expect.poll(() => rowOf(XSS_NAME).textContent()).toMatch(/attached/);
    await thirdLab.waitForPrompt(undefined, 0, SANDBOX_MS);
    await thirdLab.typeInShell('date');
    await thirdLab.waitInTerminal(
      'Trace output',
      /\S+-\d+ \[\d{3}\] \d+\.\d{6}: Hello World!!/,
      SANDBOX_MS,
    );
    await shot(third, 'learner-attached');
    // Then the lesson's checks, run in the sandbox: compiles, prints on a fork, the loader saved.
    await thirdLab.button('Check').click();
    const checks = third.getByRole('region', { name: 'Checks' });
    await expect
      .poll(() => thirdLab.textOf(checks), { timeout: SANDBOX_MS, interval: 2000 })
      .toMatch(/All checks passed|checks passed|did not/i);
    expect(await thirdLab.textOf(checks)).toMatch(/All checks passed/);
    await expect.poll(() => third.locator('.lesson-done-badge').isVisible()).toBe(true);
  });

  it('shows who works where, a stuck learner and a raised hand on top, live', async () => {
    const [, grace] = learners as [Page, Page, Page];
    await grace.getByRole('button', { name: 'Raise hand' }).click();
    await expect
      .poll(() => grace.getByRole('button', { name: 'Lower hand' }).isVisible())
      .toBe(true);

    // Both stuck learners above the rest (longest stuck first: Ada's runs came before the hand).
    await expect
      .poll(async () => await teacher.locator('tbody tr.learner-row.stuck').count(), {
        timeout: 10_000,
      })
      .toBe(2);
    const top = await rowNames();
    expect(top.slice(0, 2).sort()).toEqual([LEARNERS[0], LEARNERS[1]].sort());
    expect(top[2]).toBe(XSS_NAME);
    const graceRow = rowOf('Hopper');
    expect(await graceRow.getAttribute('data-stuck')).toBe('hand-raised');
    expect(await graceRow.textContent()).toMatch(/Hand raised/);
    const adaRow = rowOf('Ada Lovelace');
    expect(await adaRow.getAttribute('data-stuck')).toBe('failing-runs');
    expect(await adaRow.textContent()).toMatch(/Runs failing/);
    // Her last outcome, in the verifier's words as the sandbox's kernel said them.
    expect(await adaRow.textContent()).toMatch(/verifier rejected/);
    expect(await adaRow.textContent()).toMatch(/invalid mem access 'map_value_or_null'/);
    expect(await adaRow.locator('td').nth(0).textContent()).toBe('Hello fixture');
    // The third's checks passed, all three of the lesson's: a run and a check counted.
    const thirdRow = rowOf(XSS_NAME);
    await expect.poll(() => thirdRow.textContent()).toMatch(/checks passed \(3\/3\)/);
    expect(await thirdRow.locator('td').nth(5).textContent()).toBe('1');
    expect(await thirdRow.locator('td').nth(6).textContent()).toBe('1');
    // The grid: lesson 1 (the class's first) attempted by Ada, done by the third; lesson 2 by
    // nobody.
    const cellsOf = (name: string) =>
      teacher
        .getByRole('table', { name: 'Lessons by learner' })
        .getByRole('row')
        .filter({ has: teacher.getByRole('rowheader', { name, exact: true }) })
        .locator('.grid-cell')
        .evaluateAll((spans) => spans.map((s) => (s as HTMLElement).dataset.cell));
    await expect.poll(() => cellsOf(LEARNERS[0])).toEqual(['attempted', 'not-started']);
    await expect.poll(() => cellsOf(XSS_NAME)).toEqual(['done', 'not-started']);
    expect((await cellsOf(LEARNERS[1]))[1]).toBe('not-started');
    await shot(teacher, 'dashboard-live', true);
  });

  it("opens the stuck learner's work read-only: their edit beside the starter, the verifier's words", async () => {
    await rowOf('Ada Lovelace')
      .getByRole('button', { name: /View work/ })
      .click();
    const view = teacher.getByRole('dialog', { name: /Ada Lovelace’s work/ });
    await expect.poll(() => view.isVisible(), { timeout: 10_000 }).toBe(true);
    // Monaco draws the diff's right side (theirs) in `.editor.modified`, spaces as U+00A0 (\s).
    const theirs = view.locator('.editor.modified .view-lines');
    await expect
      .poll(() => theirs.textContent(), { timeout: 15_000 })
      .toMatch(/BAD:\sread\sthrough\sa\snull\spointer/);
    expect(await view.locator('.editor.original .view-lines').textContent()).not.toMatch(/BAD/);
    // Her latest Run as the sandbox's kernel refused it: the verifier's line, the source line it
    // points at, and the lab's explanation of it.
    const run = view.getByRole('region', { name: 'Latest Run' });
    await expect
      .poll(() => run.textContent(), { timeout: 10_000 })
      .toMatch(/Verifier: R\d invalid mem access 'map_value_or_null'/);
    const said = (await run.textContent()) ?? '';
    expect(said).toMatch(/The kernel verifier rejected program "hello_world"/);
    expect(said).toContain(`Line ${BAD_LINE}: bpf_trace_printk("count %llu\\n", *value);`);
    expect(said).toMatch(/may be NULL/);
    // Read-only: typing into their code changes nothing.
    await theirs.click();
    await teacher.keyboard.type('typed by the instructor');
    expect(await theirs.textContent()).not.toMatch(/typed\sby\sthe\sinstructor/);
    await shot(teacher, 'learner-work');
    await view.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => view.isVisible()).toBe(false);

    // The third's work: their Run attached, and the end of their Trace output and shell holds
    // what their sandbox printed (the probe's line, the `date` they typed).
    await rowOf(XSS_NAME)
      .getByRole('button', { name: /View work/ })
      .click();
    const theirView = teacher.getByRole('dialog', { name: /’s work/ });
    await expect.poll(() => theirView.isVisible(), { timeout: 10_000 }).toBe(true);
    const terminal = (stream: string) =>
      theirView.locator(`[data-stream="${stream}"] .xterm`).evaluate((element) => {
        const text = (element as Element & { bufferText?: () => string }).bufferText?.() ?? '';
        return text.replace(/\u00a0/g, ' ');
      });
    await expect
      .poll(() => theirView.getByRole('region', { name: 'Latest Run' }).textContent(), {
        timeout: 10_000,
      })
      .toMatch(/Attached to kprobe __x64_sys_clone/);
    await expect
      .poll(() => terminal('trace'), { timeout: 10_000 })
      .toMatch(/\S+-\d+ \[\d{3}\] \d+\.\d{6}: Hello World!!/);
    expect(await terminal('shell')).toMatch(/# date\n[^\n]*UTC/);
    await shot(teacher, 'learner-work-attached');
    await theirView.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => theirView.isVisible()).toBe(false);
  });

  it('broadcasts a banner to every learner, and lowers a hand from the dashboard', async () => {
    const [, grace, third] = learners as [Page, Page, Page];
    await teacher.getByRole('textbox', { name: 'Message to broadcast' }).fill(BROADCAST);
    await teacher.getByRole('button', { name: 'Broadcast' }).click();
    await expect
      .poll(() => teacher.locator('.broadcast-result').textContent())
      .toBe('Sent to 3 learners with the lab open');
    for (const page of learners) {
      await expect.poll(() => page.locator('.class-banner-text').textContent()).toBe(BROADCAST);
    }
    await shot(grace, 'learner-banner-hand');

    // A tab opened later still gets it, until it is dismissed.
    await third.reload();
    await expect.poll(() => third.locator('.class-banner-text').textContent()).toBe(BROADCAST);
    await third.getByRole('button', { name: 'Dismiss the message' }).click();
    expect(await third.locator('.class-banner').isHidden()).toBe(true);

    await rowOf('Hopper')
      .getByRole('button', { name: /^Lower hand/ })
      .click();
    await expect
      .poll(() => grace.getByRole('button', { name: 'Raise hand' }).isVisible(), {
        timeout: 10_000,
      })
      .toBe(true);
    await expect.poll(() => rowOf('Hopper').getAttribute('data-stuck')).toBe(null);
  });

  it('re-admits a learner with a new resume link, and exports the class as CSV', async () => {
    await rowOf('Ada Lovelace')
      .getByRole('button', { name: /^Re-admit/ })
      .click();
    await expect
      .poll(() => rowOf('Ada Lovelace').locator('.resume-link-url').textContent(), {
        timeout: 15_000,
      })
      .toMatch(/\/resume#[A-Za-z0-9_-]{43}$/);
    await shot(teacher, 'dashboard-readmit', true);
    // Ada, in a browser that never saw her, opens it: her progress is hers again.
    const link = (await rowOf('Ada Lovelace').locator('.resume-link-url').textContent()) ?? '';
    const elsewhere = await newPage();
    await elsewhere.goto(link);
    await expect
      .poll(() => elsewhere.locator('main').textContent(), { timeout: 15_000 })
      .toContain('You are Ada Lovelace in Tuesday workshop again');
    expect(elsewhere.url()).toBe(`${lab.baseUrl}/resume`);
    await elsewhere.getByRole('link', { name: 'Continue to the course' }).click();
    await expect
      .poll(() => elsewhere.locator('.class-member-note').textContent(), { timeout: 15_000 })
      .toBe('You are in Tuesday workshop as Ada Lovelace.');
    await elsewhere.context().close();

    const [download] = await Promise.all([
      teacher.waitForEvent('download'),
      teacher.getByRole('link', { name: 'CSV' }).click(),
    ]);
    const file = join(dataDir, 'export.csv');
    await download.saveAs(file);
    const csv = readFileSync(file, 'utf8');
    const lines = csv
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r\n/);
    // A header, then each learner × each of the class's two lessons.
    expect(lines).toHaveLength(1 + 3 * 2);
    expect(csv).toContain('"Grace ""Amazing"" Hopper, RN"');
    expect(csv).toContain(XSS_NAME);
    expect(lines.filter((l) => l.includes('Hello fixture'))).toHaveLength(3);
    expect(lines.filter((l) => l.includes('Verifier fixture'))).toHaveLength(3);
    // Ada: lesson 1 not done, no checks, her three runs, minutes spent (to a tenth).
    expect(lines.find((l) => l.startsWith('Ada Lovelace,01-hello,'))).toMatch(
      /,no,,,,3,0,\d+(\.\d+)?$/,
    );
    // The third: lesson 1 done, all 3 checks passed (when: today, UTC), one run, one check.
    expect(lines.find((l) => l.startsWith(`${XSS_NAME},01-hello,`))).toMatch(
      /,yes,3,3,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,1,1,\d+(\.\d+)?$/,
    );
    expect(teacher.url()).toBe(classUrl);
  });

  it("keeps the dashboard and the learners' tabs across a server restart, reconnecting by themselves", async () => {
    const port = Number(new URL(lab.url).port);
    // The lab stops as `ebpf-lab serve` does on Ctrl-C: the server, then its pool. None of its
    // sandboxes outlives it.
    const before = ourSandboxes();
    expect(before).toHaveLength(3);
    await qemuLab.close();
    await until(() => before.every((pid) => !processAlive(pid)), 'the sandboxes to stop', 30_000);
    expect(ourSandboxes()).toEqual([]);
    await expect
      .poll(() => teacher.locator('.live-badge').textContent(), { timeout: 15_000 })
      .not.toBe('Live');
    // Started again on the same port and data, with a pool of its own.
    await startLab(port);
    // The same class, its learners, no reload: the socket came back and watches again.
    await expect
      .poll(() => teacher.locator('.live-badge').textContent(), { timeout: 30_000 })
      .toBe('Live');
    await expect.poll(rowNames, { timeout: 30_000 }).toHaveLength(3);
    expect(await rowOf('Ada Lovelace').locator('td').nth(5).textContent()).toBe('3');
    // The learners' tabs reconnect too, and the dashboard sees them online again.
    await expect
      .poll(() => teacher.locator('.class-stats').textContent(), { timeout: 60_000 })
      .toMatch(/3 online/);
    expect(teacher.url()).toBe(classUrl);
    // Each learner's tab, back, has a new sandbox from the new lab: started, not the old ones.
    for (const page of learners) await sandboxReady(page);
    const after = ourSandboxes();
    expect(after).toHaveLength(3);
    expect(after.filter((pid) => before.includes(pid))).toEqual([]);
    await shot(learners[0] as Page, 'learner-after-restart');
    await shot(teacher, 'dashboard-after-restart');
    expect(problems).toEqual([]);
  });
});
