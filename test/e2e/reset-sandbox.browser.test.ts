/**
 * "Reset sandbox" in a real Chromium against the real server and real sandboxes: the button is
 * found by its accessible name, asks first (cancel changes nothing), and its keyboard shortcut
 * (Ctrl+Alt+R) brings a fresh sandbox whose shell answers. Screenshots under
 * test-results/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabServer } from '../../app/server/server.js';
import { PACKAGE_ROOT } from '../../runner/paths.js';
import { startQemuLab } from './qemu-lab.js';

const SCREENSHOTS = join(PACKAGE_ROOT, 'test-results', 'screenshots');
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let lab: LabServer;
let browser: Browser;
let page: Page;
let closeLab: (() => Promise<void>) | undefined;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  ({ lab, close: closeLab } = await startQemuLab());
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await closeLab?.();
});

/** Text as a person reads it (xterm uses nbsp). */
async function readText(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a learner reads.
  return (await locator.innerText()).replace(/\u00a0/g, ' ').trim();
}
const statusText = () => readText(page.getByRole('status').first());
const shellText = () => readText(page.getByRole('region', { name: 'Sandbox shell', exact: true }));

describe('Reset sandbox', () => {
  it('asks first, then starts a fresh sandbox whose shell answers', async () => {
    await page.goto(`${lab.url}/lessons/01-hello`);
    await expect.poll(statusText, { timeout: 240_000 }).toMatch(/ready/i);
    const reset = page.getByRole('button', { name: 'Reset sandbox', exact: true });
    await expect.poll(() => reset.getAttribute('aria-keyshortcuts')).toBe('Control+Alt+R');

    // Cancelled: nothing is sent, the sandbox stays.
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.dismiss();
    });
    await reset.click();
    await expect.poll(() => asked.length).toBe(1);
    expect(asked[0]).toContain('Your code in the editor is kept');
    await page.waitForTimeout(1000);
    expect(await statusText()).not.toMatch(/reset/i);

    // The keyboard shortcut, confirmed.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.keyboard.press('Control+Alt+KeyR');
    await expect.poll(statusText, { timeout: 30_000 }).toMatch(/You reset the sandbox/);
    await page.screenshot({ path: join(SCREENSHOTS, 'reset-sandbox-1-starting.png') });
    await expect
      .poll(statusText, { timeout: 240_000 })
      .toMatch(/A fresh sandbox is ready .*You reset the sandbox/);
    await page.screenshot({ path: join(SCREENSHOTS, 'reset-sandbox-2-fresh.png') });

    await page
      .getByRole('region', { name: 'Sandbox shell', exact: true })
      .locator('.xterm')
      .click();
    await page.keyboard.type('echo fresh-$((40+2))');
    await page.keyboard.press('Enter');
    await expect.poll(shellText, { timeout: 60_000 }).toContain('fresh-42');
  }, 600_000);
});
