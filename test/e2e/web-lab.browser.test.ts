/**
 * The web lab in a real Chromium (Debian's, driven by playwright-core) against the real server
 * and a real sandbox: the learner's path through the hello world lesson, with a screenshot of
 * each state saved under test-results/screenshots/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../app/server/config.js';
import { type LabServer, startLabServer } from '../../app/server/server.js';
import { PACKAGE_ROOT } from '../../runner/paths.js';
import { SandboxPool } from '../../runner/sandbox/pool.js';
import { QemuSandboxDriver } from '../../runner/sandbox/qemu.js';
import { TEST_CAPACITY } from './helpers.js';

const SCREENSHOTS = join(PACKAGE_ROOT, 'test-results', 'screenshots');
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let lab: LabServer;
let pool: SandboxPool;
let browser: Browser;
let page: Page;
let dataDir: string;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'ebpf-lab-data-'));
  pool = new SandboxPool(new QemuSandboxDriver(), 0);
  lab = await startLabServer(
    resolveConfig({ port: 0, dataDir, warmSandboxes: 0, maxSessions: TEST_CAPACITY }),
    pool,
  );
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await lab?.close();
  await pool?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const region = (name: string) => page.getByRole('region', { name, exact: true });
const status = () => page.getByRole('status').first();
const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });

/** Text of a terminal or editor region as a person reads it (xterm and Monaco use nbsp). */
async function textOf(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a learner reads.
  return (await locator.innerText()).replace(/\u00a0/g, ' ');
}

async function countIn(locator: Locator, needle: string): Promise<number> {
  return (await textOf(locator)).split(needle).length - 1;
}

async function typeInShell(command: string): Promise<void> {
  await region('Sandbox shell').locator('.xterm').click();
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
}

describe('the hello world lesson in a browser', () => {
  it("opens with the lesson and the guide's probe in the editor", async () => {
    const course = await (await page.request.get(`${lab.url}/api/course`)).json();
    await page.goto(`${lab.url}/lessons/${course.lessons[0].id}`);
    await expect.poll(() => textOf(region('Lesson'))).toContain(course.lessons[0].title);
    await expect
      .poll(() => textOf(region('Editor')))
      .toContain('bpf_trace_printk("Hello World!! \\n");');
    await expect.poll(() => textOf(status()), { timeout: 120_000 }).toMatch(/ready/i);
    await shot('1-lesson-open');
  });

  it('runs the probe; `ls` in the sandbox shell makes Hello World!! appear in Trace output', async () => {
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect
      .poll(() => textOf(status()), { timeout: 120_000 })
      .toMatch(/attached to kprobe __x64_sys_clone/i);
    await typeInShell('ls');
    await expect
      .poll(() => textOf(region('Trace output')), { timeout: 30_000 })
      .toContain('Hello World!!');
    await shot('2-hello-world-traced');
  });

  it('stops: `ls` again prints no new trace lines', async () => {
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect.poll(() => textOf(status()), { timeout: 30_000 }).toMatch(/stopped/i);
    const before = await countIn(region('Trace output'), 'Hello World!!');
    await typeInShell('ls');
    await expect.poll(() => textOf(region('Sandbox shell'))).toMatch(/ls[\s\S]*ls/);
    await page.waitForTimeout(2000);
    expect(await countIn(region('Trace output'), 'Hello World!!')).toBe(before);
    await shot('3-stopped');
  });

  it('marks a syntax error on its line', async () => {
    // Remove the `;` that ends line 2.
    await region('Editor').locator('.view-line').nth(1).click();
    await page.keyboard.press('End');
    await page.keyboard.press('Backspace');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const problems = page.getByRole('list', { name: 'Problems' });
    await expect
      .poll(() => textOf(problems), { timeout: 60_000 })
      .toMatch(/line 2: .*expected ';'/);
    await expect.poll(() => region('Editor').locator('.squiggly-error').count()).toBeGreaterThan(0);
    await shot('4-syntax-error-marker');
  });

  it('keeps the edit after a reload', async () => {
    await page.reload();
    await expect
      .poll(() => textOf(region('Editor')))
      .toContain('bpf_trace_printk("Hello World!! \\n")');
    expect(await textOf(region('Editor'))).not.toContain('bpf_trace_printk("Hello World!! \\n");');
    await shot('5-reloaded-edit-kept');
  });
});

describe('lesson 4 in a browser: Check marks the lesson done', () => {
  it('types the solution, presses Check, sees every check pass and the lesson done', {
    timeout: 240_000,
  }, async () => {
    const course = await (await page.request.get(`${lab.url}/api/course`)).json();
    const lessonId: string = course.lessons[3].id;
    const lesson = await (await page.request.get(`${lab.url}/api/lessons/${lessonId}`)).json();
    const probe = lesson.files.find((f: { language: string }) => f.language === 'c');
    expect(probe.solution).toBeTruthy();

    await page.goto(`${lab.url}/lessons/${lessonId}`);
    // The earlier lesson's error is not carried over: a new page starts with a ready sandbox.
    await expect.poll(() => textOf(status()), { timeout: 120_000 }).toMatch(/ready/i);
    // As a learner would: replace the TODO line with the solution's bpf_trace_printk line.
    const starterLines: string[] = probe.starter.split('\n');
    const todo = starterLines.findIndex((line) => line.includes('TODO'));
    const answer = (probe.solution as string)
      .split('\n')
      .find((line) => line.includes('bpf_trace_printk')) as string;
    expect(todo).toBeGreaterThanOrEqual(0);
    const editor = region('Editor');
    await editor.locator('.view-line').nth(todo).click();
    await page.keyboard.press('End');
    await page.keyboard.press('Shift+Home');
    await page.keyboard.type(answer.trim());
    await expect.poll(() => textOf(editor)).toContain(answer.trim());
    await shot('6-lesson-4-solution-typed');

    await page.getByRole('button', { name: 'Check', exact: true }).click();
    const checks = page.getByRole('list', { name: 'Checks' });
    const items = checks.getByRole('listitem');
    try {
      await expect
        .poll(() => textOf(page.getByRole('region', { name: 'Checks' })), { timeout: 150_000 })
        .toMatch(/all checks passed/i);
    } catch (error) {
      await shot('7-lesson-4-checks-failed');
      throw error;
    }
    const count = await items.count();
    expect(count).toBeGreaterThan(0);
    for (let i = 0; i < count; i++) expect(await textOf(items.nth(i))).toMatch(/passed/i);
    await shot('7-lesson-4-checks-passed');

    await page.goto(`${lab.url}/`);
    const entry = page.getByRole('list', { name: 'Lessons' }).getByRole('listitem').nth(3);
    await expect.poll(() => textOf(entry)).toMatch(/done/i);
    await shot('8-course-lesson-4-done');
    await page.reload();
    await expect
      .poll(() => textOf(page.getByRole('list', { name: 'Lessons' }).getByRole('listitem').nth(3)))
      .toMatch(/done/i);
  });
});

describe('a lesson without a probe in a browser', () => {
  it('offers no Run, and says its files are for the shell', async () => {
    const course = await (await page.request.get(`${lab.url}/api/course`)).json();
    const lessonId: string = course.lessons.find((l: { id: string }) => l.id.startsWith('06-')).id;
    const lesson = await (await page.request.get(`${lab.url}/api/lessons/${lessonId}`)).json();
    expect(lesson.files.some((f: { name: string }) => f.name.endsWith('.c'))).toBe(false);

    await page.goto(`${lab.url}/lessons/${lessonId}`);
    const editor = region('Editor');
    await expect.poll(() => textOf(editor)).toContain('run them in the Sandbox shell');
    // Lesson 4's verdict stayed on lesson 4's page: this one starts from a ready sandbox.
    await expect.poll(() => textOf(status())).toMatch(/ready/i);
    expect(await textOf(status())).not.toMatch(/passed/);
    expect(await page.getByRole('button', { name: 'Run', exact: true }).isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Stop', exact: true }).isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Show bytecode' }).isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Check', exact: true }).isVisible()).toBe(true);
    await shot('9-lesson-without-probe');
  });
});
