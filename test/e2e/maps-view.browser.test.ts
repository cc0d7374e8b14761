/**
 * The Maps view and the lab-lines toggle in a real Chromium against the real server and a real
 * sandbox: lesson 10's counts appear and grow while the probe runs; lines the lab's own
 * processes cause are tagged in Trace output and the toggle hides and shows them. Screenshots
 * go to test-results/screenshots/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../app/server/config.js';
import { type LabServer, startLabServer } from '../../app/server/server.js';
import { PACKAGE_ROOT } from '../../runner/paths.js';
import { SandboxPool } from '../../runner/sandbox/pool.js';
import { QemuSandboxDriver } from '../../runner/sandbox/qemu.js';
import { TEST_CAPACITY } from './helpers.js';
import { LabPage } from './lab-page.js';

const SCREENSHOTS = join(PACKAGE_ROOT, 'test-results', 'screenshots');
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const LESSON = '10-maps';
// Lesson 10's solution, plus a tracepoint that prints every write(): the lab's own writes (the
// agent answering the server, the worker sending trace lines) show up as [lab] lines.
const SOURCE = `struct key_t {
    char comm[16];
};
BPF_HASH(opens, struct key_t, u64);

int count_open(void *ctx) {
    struct key_t key = {};
    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    opens.increment(key);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_write) {
    char comm[16];
    bpf_get_current_comm(&comm, sizeof(comm));
    bpf_trace_printk("write by %s\\n", comm);
    return 0;
}
`;

let lab: LabServer;
let pool: SandboxPool;
let browser: Browser;
let lab_: LabPage;
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
  lab_ = new LabPage(
    await browser.newPage({ viewport: { width: 1400, height: 1000 } }),
    SCREENSHOTS,
  );
});

afterAll(async () => {
  await browser?.close();
  await lab?.close();
  await pool?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const page = () => lab_.page;
const region = (name: string) => lab_.region(name);
const status = () => lab_.status();
const shot = (name: string) => lab_.shot(name);
const textOf = (locator: Parameters<LabPage['textOf']>[0]) => lab_.textOf(locator);
/** The whole Trace output buffer: the screen holds only its last rows, and lab lines scroll. */
const traceText = () => lab_.terminalText('Trace output');

async function typeInShell(command: string): Promise<void> {
  await region('Sandbox shell').locator('.xterm').click();
  await page().keyboard.type(command);
  await page().keyboard.press('Enter');
}

/** The count on the row of `comm` in the Maps view's table of `opens`, or 0. */
async function countOf(comm: string): Promise<number> {
  const row = region('Maps')
    .getByRole('table', { name: 'Entries of opens' })
    .getByRole('row')
    .filter({ hasText: `comm="${comm}"` });
  if ((await row.count()) === 0) return 0;
  return Number(await textOf(row.first().getByRole('cell').nth(1)));
}

describe('lesson 10 in a browser: the Maps view and the lab lines', () => {
  // Under software emulation on a busy machine, boot plus a first compile can take minutes.
  it('shows the counts of the running probe and updates them as the learner works', {
    timeout: 600_000,
  }, async () => {
    await page().goto(`${lab.url}/`);
    // The learner's saved draft of the lesson's C file (the editor keeps drafts this way).
    await page().evaluate(
      ([key, text]) => localStorage.setItem(key as string, text as string),
      [`ebpf-lab:lesson:${LESSON}:count_opens.c`, SOURCE],
    );
    await page().goto(`${lab.url}/lessons/${LESSON}`);
    // The draft, not the starter (whose TODO line this replaces), is in the editor.
    await expect.poll(() => textOf(region('Editor'))).toContain('opens.increment(key);');
    await expect.poll(() => textOf(status()), { timeout: 180_000 }).toMatch(/ready/i);
    await expect.poll(() => textOf(region('Maps'))).toContain('Run a probe to see its maps');

    await page().getByRole('button', { name: 'Run', exact: true }).click();
    await expect
      .poll(() => textOf(status()), { timeout: 240_000 })
      .toMatch(/attached to kprobe __x64_sys_openat/i);
    await typeInShell('cat /etc/hostname');
    await expect.poll(() => countOf('cat'), { timeout: 30_000 }).toBeGreaterThan(0);
    const before = await countOf('cat');
    await expect.poll(() => textOf(region('Maps'))).toMatch(/opens \(hash, struct key_t -> u64\)/);
    await expect.poll(() => textOf(region('Maps'))).toMatch(/live/);
    await shot('maps-1-live-counts');

    await typeInShell('cat /etc/hostname /etc/hostname');
    await expect.poll(() => countOf('cat'), { timeout: 30_000 }).toBeGreaterThan(before);
    for (const tool of ['python3', 'bpftool', 'objdump'])
      expect(await countOf(tool), `${tool} counted`).toBe(0);
    await shot('maps-2-counts-grew');
  });

  it("tags the lab's own lines in Trace output, and the toggle hides and shows them", async () => {
    const trace = region('Trace output');
    await expect.poll(traceText, { timeout: 30_000 }).toMatch(/write by bash/);
    await expect.poll(traceText, { timeout: 30_000 }).toMatch(/\[lab\] ebpf-lab-(agent|bcc)-\d+/);
    await shot('maps-3-lab-lines-shown');

    const toggle = trace.getByRole('button', { name: 'Hide lab lines' });
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    await toggle.click();
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    await expect.poll(traceText).not.toContain('[lab]');
    expect(await traceText()).toMatch(/write by bash/);
    const before = (await traceText()).match(/write by bash/g)?.length ?? 0;
    await typeInShell('echo still-mine');
    await expect
      .poll(async () => (await traceText()).match(/write by bash/g)?.length ?? 0, {
        timeout: 30_000,
      })
      .toBeGreaterThan(before);
    await page().waitForTimeout(2000);
    expect(await traceText()).not.toContain('[lab]');
    await shot('maps-4-lab-lines-hidden');

    await toggle.click();
    await expect.poll(traceText).toContain('[lab]');
    // Still attached: the lab's own lines did not use up the run's trace line limit.
    expect(await textOf(status())).toMatch(/attached/i);
  });

  it('keeps the maps as the run left them after Stop', async () => {
    await page().getByRole('button', { name: 'Stop', exact: true }).click();
    await expect.poll(() => textOf(status()), { timeout: 30_000 }).toMatch(/stopped/i);
    await expect.poll(() => textOf(region('Maps'))).toContain('as the run left them');
    expect(await countOf('cat')).toBeGreaterThan(0);
    await shot('maps-5-after-stop');
  });
});
