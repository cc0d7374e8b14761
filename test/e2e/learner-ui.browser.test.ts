/**
 * The lesson page as a new learner meets it (issue 9), in a real Chromium against the real
 * server and a real sandbox: diagnostics stay with the text they were made for, every control
 * is reachable and leavable by keyboard, Trace output copies, colours are readable, the
 * Bytecode view tells the truth, two tabs of one lesson agree, and the small things around them.
 * Screenshots go to test-results/screenshots/ (prefix `ui-`).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Locator,
  type Page,
} from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../app/server/config.js';
import { type LabServer, startLabServer } from '../../app/server/server.js';
import { PACKAGE_ROOT } from '../../runner/paths.js';
import { SandboxPool } from '../../runner/sandbox/pool.js';
import { QemuSandboxDriver } from '../../runner/sandbox/qemu.js';
import { TEST_CAPACITY } from './helpers.js';

// Sandboxes boot and compile under software emulation on a shared machine: slow, sometimes
// very slow. Each step waits long rather than fail for the machine's load.
vi.setConfig({ testTimeout: 600_000 });

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
let context: BrowserContext;
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
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: lab.url });
  context.on('page', watchErrors);
  page = await context.newPage();
});

/** Errors in the page fail nothing by themselves but are what to read when a test fails. */
function watchErrors(on: Page): void {
  on.on('pageerror', (error) => console.error(`[page error] ${error.stack ?? error.message}`));
  on.on('console', (message) => {
    if (message.type() === 'error') console.error(`[console] ${message.text()}`);
  });
  if (process.env.LAB_DEBUG_FRAMES) {
    on.on('websocket', (socket) =>
      socket.on('framereceived', ({ payload }) => {
        const text = String(payload);
        if (!/"type":"(trace|shell-output)"/.test(text))
          console.error(`[frame] ${text.slice(0, 300)}`);
      }),
    );
  }
}

afterAll(async () => {
  await browser?.close();
  await lab?.close();
  await pool?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const region = (name: string, on: Page = page) => on.getByRole('region', { name, exact: true });
const status = (on: Page = page) => on.getByRole('status').first();
const problems = (on: Page = page) => on.getByRole('list', { name: 'Problems' });
const shot = (name: string, on: Page = page) =>
  on.screenshot({ path: join(SCREENSHOTS, `ui-${name}.png`) });

/** Text as a person reads it (xterm and Monaco use nbsp). */
async function textOf(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a learner reads.
  return (await locator.innerText()).replace(/\u00a0/g, ' ');
}

async function lessonId(prefix: string): Promise<string> {
  const course = await (await page.request.get(`${lab.url}/api/course`)).json();
  return course.lessons.find((l: { id: string }) => l.id.startsWith(prefix)).id;
}

/**
 * Opens a lesson with its starter code (drafts of earlier tests forgotten); with `ready`, waits
 * for a ready sandbox too (the tests of the page alone do not need one).
 */
async function openLesson(prefix: string, on: Page = page, ready = true): Promise<void> {
  await on.goto(`${lab.url}/lessons/${await lessonId(prefix)}`);
  await on.evaluate(() => localStorage.clear());
  await on.reload();
  await expect.poll(() => region('Editor', on).locator('.view-line').count()).toBeGreaterThan(0);
  if (ready) {
    // A probe an earlier test attached still runs in the learner's sandbox after the reload:
    // the learner stops it, and the sandbox is ready again.
    await expect.poll(() => textOf(status(on)), { timeout: 300_000 }).toMatch(/ready|attached/i);
    if (/attached/i.test(await textOf(status(on)))) {
      await on.getByRole('button', { name: 'Stop', exact: true }).click();
      await expect.poll(() => textOf(status(on)), { timeout: 60_000 }).toMatch(/stopped|ready/i);
    }
  }
}

/**
 * Puts the cursor at the first non-blank character of `line` (1-based) with the keyboard, as a
 * learner would: the line is scrolled into view, whatever the editor showed before.
 */
async function goToLine(line: number, on: Page = page): Promise<void> {
  await focusEditor(on);
  await on.keyboard.press('Control+Home');
  for (let i = 1; i < line; i++) await on.keyboard.press('ArrowDown');
  await on.keyboard.press('Home');
}

/** Clicks into the editor's text area, inside what it shows (never under its toolbar). */
async function focusEditor(on: Page = page): Promise<void> {
  const view = region('Editor', on).locator('.monaco-editor .overflow-guard').first();
  const box = await view.boundingBox();
  if (!box) throw new Error('the editor is not shown');
  await view.click({ position: { x: Math.min(200, box.width / 2), y: box.height / 2 } });
}

/**
 * The line of the editor shown beside gutter number `line`, found by position: Monaco keeps its
 * line elements in no particular order in the DOM.
 */
async function editorLine(line: number, on: Page = page): Promise<Locator> {
  const index = await region('Editor', on).evaluate((editor, wanted) => {
    const rowTop = (element: Element): number | undefined => {
      const row = element.closest('[style*="top"]') as HTMLElement | null;
      return row ? Math.round(row.offsetTop) : undefined;
    };
    const number = Array.from(editor.querySelectorAll('.line-numbers')).find(
      (n) => Number(n.textContent) === wanted,
    );
    if (!number) return -1;
    const top = rowTop(number);
    return Array.from(editor.querySelectorAll('.view-line')).findIndex((l) => rowTop(l) === top);
  }, line);
  if (index < 0) throw new Error(`editor line ${line} is not shown`);
  return region('Editor', on).locator('.view-line').nth(index);
}

/** The code the editor shows, its lines in the order they are drawn. */
async function editorText(on: Page = page): Promise<string> {
  return region('Editor', on).evaluate((editor) =>
    Array.from(editor.querySelectorAll<HTMLElement>('.view-line'))
      .sort((a, b) => a.offsetTop - b.offsetTop)
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a learner reads.
      .map((line) => line.innerText.replace(/\u00a0/g, ' '))
      .join('\n'),
  );
}

/** The editor's text, replaced as a learner would: select all, type. */
async function setEditorText(text: string, on: Page = page): Promise<void> {
  await focusEditor(on);
  await on.keyboard.press('Control+A');
  await on.keyboard.press('Delete');
  // Monaco auto-indents and closes brackets while typing: insert the text as a paste would.
  await on.keyboard.insertText(text);
}

/**
 * The editor lines (1-based, as shown in the gutter) that carry a squiggle, found by position:
 * Monaco draws a line's squiggles in an overlay at the same height as the line.
 */
async function squiggleLines(on: Page = page): Promise<number[]> {
  return region('Editor', on).evaluate((editor) => {
    // The row (a line's box in the view, or its overlay) an element is drawn in.
    const rowTop = (element: Element): number | undefined => {
      const row = element.closest('[style*="top"]') as HTMLElement | null;
      return row ? Math.round(row.offsetTop) : undefined;
    };
    const tops = new Map<number | undefined, number>();
    Array.from(editor.querySelectorAll('.line-numbers')).forEach((number) => {
      tops.set(rowTop(number), Number(number.textContent));
    });
    const lines = new Set<number>();
    Array.from(editor.querySelectorAll('[class*="squiggly-"]')).forEach((squiggle) => {
      const line = tops.get(rowTop(squiggle));
      if (line !== undefined) lines.add(line);
    });
    return Array.from(lines).sort((a, b) => a - b);
  });
}

const RUN = (on: Page = page) => on.getByRole('button', { name: 'Run', exact: true });

describe('diagnostics belong to the text they were made for', () => {
  it('lesson 7: the verifier marker stays on `*count += 1;` when a fix is typed above it', {
    timeout: 600_000,
  }, async () => {
    await openLesson('07-');
    await RUN().click();
    await expect
      .poll(() => textOf(problems()), { timeout: 240_000 })
      .toMatch(/line 7: .*invalid mem access/);
    await expect.poll(() => squiggleLines()).toEqual([7]);
    await shot('diag-1-rejected-at-line-7');

    // The learner goes to the start of line 7's code and types the null check above it.
    await goToLine(7);
    await page.keyboard.type('if (count == NULL) return 0;');
    await page.keyboard.press('Enter');
    await expect.poll(() => editorText()).toMatch(/return 0;\s+\*count \+= 1;/);
    // The complaint is about `*count += 1;`, now line 8, and says it is from the last Run.
    await expect.poll(() => textOf(problems())).toMatch(/line 8: .*invalid mem access.*last Run/);
    expect(await textOf(problems())).not.toMatch(/line 7/);
    await expect.poll(() => squiggleLines()).toEqual([8]);
    // The compile-ahead of the new text comes back clean: the marker still does not move.
    await page.waitForTimeout(4000);
    expect(await squiggleLines()).toEqual([8]);
    expect(await textOf(problems())).toMatch(/line 8: .*invalid mem access/);
    await shot('diag-2-fix-typed-above');

    // Editing the marked code itself removes the complaint: it was about code that is gone.
    await goToLine(8);
    await page.keyboard.press('End');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('2;');
    await expect.poll(() => textOf(problems())).not.toMatch(/invalid mem access/);
    await expect.poll(() => squiggleLines()).toEqual([]);
  });

  it('a passing Run leaves no note of an error it no longer has', {
    timeout: 600_000,
  }, async () => {
    const probe = (duplicate: boolean) =>
      [
        'BPF_ARRAY(counter, u64, 1);',
        '',
        'int count_clones(void *ctx) {',
        '    int zero = 0;',
        ...(duplicate ? ['    int zero = 0;'] : []),
        '    u64 *count = counter.lookup(&zero);',
        '    if (count == NULL)',
        '        return 0;',
        '    *count += 1;',
        '    return 0;',
        '}',
      ].join('\n');
    await setEditorText(probe(true));
    await RUN().click();
    await expect.poll(() => textOf(problems()), { timeout: 240_000 }).toMatch(/redefinition/);
    expect(await textOf(problems())).toMatch(/previous definition is here/);
    await shot('diag-3-redefinition');
    // The learner deletes the duplicate line and presses Run at once (no compile-ahead yet).
    await goToLine(5);
    await page.keyboard.press('Shift+End');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => textOf(status()), { timeout: 240_000 }).toMatch(/attached/i);
    await expect.poll(() => textOf(problems())).toBe('');
    expect(await textOf(region('Editor'))).toMatch(/Problems\s*none/i);
    await shot('diag-4-passing-run-clean');
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect.poll(() => textOf(status()), { timeout: 60_000 }).toMatch(/stopped/i);
  });

  it('the problems of a text come back when the same text is pasted back whole', {
    timeout: 600_000,
  }, async () => {
    await openLesson('02-');
    // One line: Monaco closes a `{` as it is typed, and types over that `}` only on its line.
    const broken = 'int hello_world(void *ctx) { bpf_trace_printk("Hello World!! \\n") return 0; }';
    await setEditorText(broken);
    await expect.poll(() => textOf(problems()), { timeout: 240_000 }).toMatch(/expected ';'/);
    // Select all, delete, the same text again: the deletion took its problems away, and the
    // text is one the sandbox already answered for.
    await setEditorText(broken);
    await expect.poll(() => textOf(problems()), { timeout: 240_000 }).toMatch(/expected ';'/);
    await shot('diag-5-pasted-back');
  });

  it("another tab's compile of another lesson's file never shows in this one", {
    timeout: 600_000,
  }, async () => {
    await openLesson('07-');
    await expect.poll(() => textOf(problems()), { timeout: 60_000 }).toMatch(/^$/);
    const other = await context.newPage();
    try {
      await other.goto(`${lab.url}/lessons/${await lessonId('10-')}`);
      await expect.poll(() => textOf(status(other)), { timeout: 240_000 }).toMatch(/ready/i);
      const lines = Array.from({ length: 40 }, (_, i) => `// line ${i + 1}`);
      lines.push('int broken(void *ctx) { return undeclared_name; }');
      await setEditorText(lines.join('\n'), other);
      await expect
        .poll(() => textOf(problems(other)), { timeout: 240_000 })
        .toMatch(/line 41: .*undeclared/);
      // The lesson 7 tab got the same broadcast: it is about text it does not show.
      await page.waitForTimeout(1000);
      expect(await textOf(problems())).toBe('');
      expect(await squiggleLines()).toEqual([]);
      await shot('diag-5-other-tab-compile-not-shown');
    } finally {
      await other.close();
    }
  });
});

/** What has the keyboard focus: its accessible-ish name, and the region it is in. */
async function focused(
  on: Page = page,
): Promise<{ name: string; region: string; tag: string; inEditor: boolean }> {
  return on.evaluate(() => {
    const element = document.activeElement as HTMLElement | null;
    const regionElement = element?.closest('[role="region"]');
    return {
      name:
        element?.getAttribute('aria-label') ??
        // biome-ignore lint/performance/useDomNodeTextContent: what a screen reader would read.
        (element?.innerText ?? '').trim().slice(0, 40),
      region: regionElement?.getAttribute('aria-label') ?? '',
      tag: element?.tagName.toLowerCase() ?? '',
      // Monaco takes input in a textarea, or a div with Chromium's EditContext.
      inEditor: element?.closest('.monaco-editor') != null,
    };
  });
}

/** Sets the page's "Tab moves focus" switch by clicking it, as a learner would, if needed. */
async function setTabMovesFocus(on: boolean): Promise<void> {
  const toggle = page.getByRole('button', { name: 'Tab moves focus' }).first();
  if ((await toggle.getAttribute('aria-pressed')) !== String(on)) await toggle.click();
  await expect.poll(() => toggle.getAttribute('aria-pressed')).toBe(String(on));
}

describe('every control is reachable and leavable by keyboard', () => {
  it('names the two terminals apart', async () => {
    await openLesson('07-', page, false);
    await expect
      .poll(() => page.getByRole('textbox', { name: 'Trace output terminal' }).count())
      .toBe(1);
    await expect
      .poll(() => page.getByRole('textbox', { name: 'Sandbox shell terminal' }).count())
      .toBe(1);
    await expect.poll(() => page.getByRole('textbox', { name: 'Terminal input' }).count()).toBe(0);
  });

  it('editor: Tab indents; Ctrl+M (shown in the pane) makes Tab move on, and back', async () => {
    await setTabMovesFocus(false);
    const editorSwitch = region('Editor').getByRole('button', { name: 'Tab moves focus' });
    await expect.poll(() => editorSwitch.isVisible()).toBe(true);
    expect(await textOf(editorSwitch)).toMatch(/Tab moves focus: off\s*Ctrl\+M/);
    await region('Editor').locator('.view-line').first().click();
    await page.keyboard.press('Control+Home');
    await page.keyboard.press('Tab');
    expect((await focused()).inEditor).toBe(true);
    expect(await textOf(region('Editor'))).toMatch(/\s+\/\/ Counts/);
    await page.keyboard.press('Control+M');
    await expect.poll(() => editorSwitch.getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('Tab');
    expect((await focused()).inEditor).toBe(false);
    await shot('kbd-1-tab-left-editor');
    // Shift+Tab comes back into the editor, and out again the other way.
    await page.keyboard.press('Shift+Tab');
    expect((await focused()).inEditor).toBe(true);
    await page.keyboard.press('Shift+Tab');
    expect((await focused()).inEditor).toBe(false);
    // The switch is one for the page: the shell's shows the same.
    await expect
      .poll(() =>
        region('Sandbox shell')
          .getByRole('button', { name: 'Tab moves focus' })
          .getAttribute('aria-pressed'),
      )
      .toBe('true');
    // Back in the editor, Ctrl+M turns it off again.
    await focusEditor();
    expect((await focused()).inEditor).toBe(true);
    await page.keyboard.press('Control+M');
    await expect.poll(() => editorSwitch.getAttribute('aria-pressed')).toBe('false');
  });

  it('Trace output lets Tab and Shift+Tab go; the shell is reachable after it', async () => {
    // Trace output never keeps Tab, whatever the switch says.
    await setTabMovesFocus(false);
    await page.getByRole('textbox', { name: 'Trace output terminal' }).focus();
    await page.keyboard.press('Shift+Tab');
    expect((await focused()).name).not.toBe('Trace output terminal');
    await page.getByRole('textbox', { name: 'Trace output terminal' }).focus();
    let reached = false;
    for (let i = 0; i < 6 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await focused()).name === 'Sandbox shell terminal';
    }
    expect(reached).toBe(true);
    await shot('kbd-2-shell-reached-from-trace');
  });

  it('the shell keeps Tab for completion until Ctrl+M, then Tab leaves it', async () => {
    const shellSwitch = region('Sandbox shell').getByRole('button', { name: 'Tab moves focus' });
    await expect.poll(() => shellSwitch.isVisible()).toBe(true);
    await setTabMovesFocus(false);
    await page.getByRole('textbox', { name: 'Sandbox shell terminal' }).focus();
    await page.keyboard.type('ech');
    await page.keyboard.press('Tab');
    expect((await focused()).name).toBe('Sandbox shell terminal');
    await page.keyboard.press('Control+U');
    await page.keyboard.press('Control+M');
    await expect.poll(() => shellSwitch.getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('Tab');
    expect((await focused()).name).not.toBe('Sandbox shell terminal');
    await page.getByRole('textbox', { name: 'Sandbox shell terminal' }).focus();
    await page.keyboard.press('Shift+Tab');
    expect((await focused()).name).not.toBe('Sandbox shell terminal');
  });

  it('with Tab moving focus, Tab alone walks every control and comes back round', async () => {
    await setTabMovesFocus(true);
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    const seen: string[] = [];
    for (let i = 0; i < 120; i++) {
      await page.keyboard.press('Tab');
      const at = await focused();
      seen.push(at.inEditor ? 'Editor|code' : `${at.region}|${at.tag}|${at.name}`);
    }
    const names = new Set(seen);
    for (const needed of [
      'Editor|button|Reset',
      'Editor|code',
      'Trace output|textarea|Trace output terminal',
      'Sandbox shell|textarea|Sandbox shell terminal',
    ]) {
      expect([...names]).toContain(needed);
    }
    // Round and round: the walk comes back to where it started, it is not stuck anywhere.
    const first = seen.indexOf('Sandbox shell|textarea|Sandbox shell terminal');
    expect(
      seen.indexOf('Sandbox shell|textarea|Sandbox shell terminal', first + 1),
    ).toBeGreaterThan(first);
    // Leave the page's switch off for the tests after this one.
    await setTabMovesFocus(false);
  });
});

describe('Trace output copies', () => {
  it('Ctrl+C with a selection, and Ctrl+Shift+C, copy the selected text', async () => {
    await openLesson('07-');
    await RUN().click();
    await expect
      .poll(() => textOf(region('Trace output')), { timeout: 240_000 })
      .toMatch(/invalid mem access/);
    const trace = page.getByRole('textbox', { name: 'Trace output terminal' });
    const rows = region('Trace output').locator('.xterm-rows > div');
    const lineWith = async (needle: string) => {
      const count = await rows.count();
      for (let i = 0; i < count; i++)
        if ((await textOf(rows.nth(i))).includes(needle)) return rows.nth(i);
      throw new Error(`no trace row with ${needle}`);
    };
    // Clicks where the row is drawn, as a learner's mouse does (xterm takes the mouse on its
    // screen, over the rows); a triple click selects a whole line.
    const clickOn = async (row: Locator, clickCount: number) => {
      await row.scrollIntoViewIfNeeded();
      const box = await row.boundingBox();
      if (!box) throw new Error('the trace row is not shown');
      await page.mouse.click(box.x + Math.min(40, box.width / 2), box.y + box.height / 2, {
        clickCount,
      });
    };
    const clipboard = () => page.evaluate(() => navigator.clipboard.readText());
    await page.evaluate(() => navigator.clipboard.writeText('before'));
    await clickOn(await lineWith('invalid mem access'), 3);
    await page.keyboard.press('Control+C');
    await expect.poll(clipboard).toMatch(/invalid mem access/);
    await shot('copy-1-selected-line');

    // A single click clears the selection; a new one is copied with Ctrl+Shift+C.
    await page.evaluate(() => navigator.clipboard.writeText('before'));
    await clickOn(rows.first(), 1);
    await clickOn(await lineWith('invalid mem access'), 3);
    await page.keyboard.press('Control+Shift+C');
    await expect.poll(clipboard).toMatch(/invalid mem access/);
    expect(await trace.count()).toBe(1);
  });
});

/** Text elements whose colour reads under 4.5:1 on what is behind them, as drawn. */
async function lowContrastText(on: Page = page): Promise<string[]> {
  return on.evaluate(() => {
    type Rgba = [number, number, number, number];
    const parse = (css: string): Rgba => {
      const m = css.match(/rgba?\(([^)]+)\)/);
      if (!m?.[1]) return [0, 0, 0, 0];
      const parts = m[1]
        .split(/[\s,/]+/)
        .filter(Boolean)
        .map(Number);
      return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0, parts[3] ?? 1];
    };
    const over = (top: Rgba, bottom: Rgba): Rgba => {
      const a = top[3];
      return [
        top[0] * a + bottom[0] * (1 - a),
        top[1] * a + bottom[1] * (1 - a),
        top[2] * a + bottom[2] * (1 - a),
        1,
      ];
    };
    const luminance = ([r, g, b]: Rgba) => {
      const lin = (v: number) => {
        const c = v / 255;
        return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    const background = (element: Element | null): Rgba => {
      const layers: Rgba[] = [];
      for (let e = element; e; e = e.parentElement) {
        const colour = parse(getComputedStyle(e).backgroundColor);
        if (colour[3] > 0) layers.push(colour);
        if (colour[3] >= 1) break;
      }
      let result: Rgba = [255, 255, 255, 1];
      for (const layer of layers.reverse()) result = over(layer, result);
      return result;
    };
    const opacity = (element: Element | null): number => {
      let value = 1;
      for (let e = element; e; e = e.parentElement) value *= Number(getComputedStyle(e).opacity);
      return value;
    };
    const failures: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set<Element>();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const element = node.parentElement;
      if (!element || seen.has(element) || !node.textContent?.trim()) continue;
      seen.add(element);
      const rect = element.getBoundingClientRect();
      if (
        rect.width === 0 ||
        rect.height === 0 ||
        !element.checkVisibility({ visibilityProperty: true })
      )
        continue;
      // WCAG exempts disabled controls and decoration.
      if (element.closest(':disabled, [aria-disabled="true"], [aria-hidden="true"]')) continue;
      const style = getComputedStyle(element);
      const bg = background(element);
      const fg = parse(style.color);
      const drawn = over([fg[0], fg[1], fg[2], fg[3] * opacity(element)], bg);
      const [light, dark] = [luminance(drawn), luminance(bg)].sort((a, b) => b - a) as [
        number,
        number,
      ];
      const ratio = (light + 0.05) / (dark + 0.05);
      if (ratio < 4.5) {
        failures.push(
          `${ratio.toFixed(2)}:1 "${node.textContent.trim().slice(0, 40)}" (${element.className || element.tagName})`,
        );
      }
    }
    return failures;
  });
}

describe('all text reads at WCAG AA contrast', () => {
  it('lesson page after a rejected Run: errors, verifier log and hints in Trace output', async () => {
    // The page of the copy test: a rejected Run's error, verifier summary and hint are shown.
    await expect.poll(() => textOf(region('Trace output'))).toMatch(/invalid mem access/);
    await shot('contrast-1-rejected-run');
    expect(await lowContrastText()).toEqual([]);
  });

  it('the course page and a lesson with code blocks', async () => {
    await page.goto(`${lab.url}/`);
    await expect.poll(() => page.getByRole('list', { name: 'Lessons' }).isVisible()).toBe(true);
    expect(await lowContrastText()).toEqual([]);
    await page.goto(`${lab.url}/lessons/${await lessonId('05-')}`);
    await expect.poll(() => textOf(region('Lesson'))).toMatch(/\w/);
    expect(await lowContrastText()).toEqual([]);
  });
});

describe('the Bytecode view shows the program of this lesson, and only when there is one', () => {
  it("labels instruction 0 with the function's line (lesson 7)", { timeout: 600_000 }, async () => {
    await openLesson('07-');
    const lesson = await (
      await page.request.get(`${lab.url}/api/lessons/${await lessonId('07-')}`)
    ).json();
    const solution: string = lesson.files.find((f: { name: string }) =>
      f.name.endsWith('.c'),
    ).solution;
    await setEditorText(solution);
    await RUN().click();
    await expect.poll(() => textOf(status()), { timeout: 240_000 }).toMatch(/attached/i);
    const bytecode = region('Bytecode');
    await bytecode.getByRole('button', { name: 'Show bytecode' }).click();
    await expect
      .poll(() => textOf(bytecode), { timeout: 240_000 })
      .toMatch(/Verified instructions/i);
    const firstGroup = bytecode.locator('.insn-group').first();
    const functionLine =
      solution.split('\n').findIndex((l) => l.startsWith('int count_clones')) + 1;
    expect(await textOf(firstGroup.locator('.insn-source'))).toMatch(
      new RegExp(`line ${functionLine}\\s*int count_clones\\(void \\*ctx\\) \\{`),
    );
    expect(await textOf(firstGroup)).toMatch(/^\s*line \d+[\s\S]*\b0: /);
    await shot('bytecode-1-line-of-instruction-0');
  });

  it('a rejected Run clears the previous program and folds the view away', {
    timeout: 600_000,
  }, async () => {
    const editorHeight = () =>
      region('Editor')
        .locator('.monaco-host')
        .evaluate((e) => e.getBoundingClientRect().height);
    const lesson = await (
      await page.request.get(`${lab.url}/api/lessons/${await lessonId('07-')}`)
    ).json();
    const file = lesson.files.find((f: { name: string }) => f.name.endsWith('.c'));
    const bytecode = region('Bytecode');
    // A program of an earlier Run is shown (the test before this one leaves one; run alone, it
    // runs the solution first).
    if ((await bytecode.locator('.bytecode-program').count()) === 0) {
      await openLesson('07-');
      await setEditorText(file.solution);
      await RUN().click();
      await expect.poll(() => textOf(status()), { timeout: 240_000 }).toMatch(/attached/i);
      await expect
        .poll(() => bytecode.locator('.bytecode-program').count(), { timeout: 240_000 })
        .toBeGreaterThan(0);
    }
    await setEditorText(file.starter);
    await RUN().click();
    await expect
      .poll(() => textOf(status()), { timeout: 240_000 })
      .toMatch(/invalid mem access|rejected/i);
    await expect.poll(() => textOf(bytecode)).toMatch(/rejected/);
    expect(await bytecode.locator('.bytecode-program').count()).toBe(0);
    expect(
      await bytecode.getByRole('button', { name: 'Show bytecode' }).getAttribute('aria-expanded'),
    ).toBe('false');
    await shot('bytecode-2-rejected-cleared');

    // Opened on a lesson with nothing to show, it takes no room from the editor, and the next
    // lesson starts with it folded.
    const before = await editorHeight();
    await bytecode.getByRole('button', { name: 'Show bytecode' }).click();
    expect(await editorHeight()).toBeGreaterThan(before * 0.8);
    await openLesson('04-');
    await expect
      .poll(() =>
        region('Bytecode')
          .getByRole('button', { name: 'Show bytecode' })
          .getAttribute('aria-expanded'),
      )
      .toBe('false');
    await shot('bytecode-3-next-lesson-folded');
  });
});

describe('two tabs of one lesson', () => {
  it("each shows the other's edits, and says so", { timeout: 600_000 }, async () => {
    await openLesson('07-', page, false);
    const other = await context.newPage();
    try {
      await other.goto(page.url());
      await expect.poll(() => textOf(region('Editor', other))).toContain('count_clones');
      await region('Editor').locator('.view-line').first().click();
      await page.keyboard.press('Control+Home');
      await page.keyboard.type('// typed in the first tab\n');
      await expect
        .poll(() => textOf(region('Editor', other)))
        .toContain('// typed in the first tab');
      await expect.poll(() => textOf(status(other))).toMatch(/another tab/);
      await shot('tabs-1-second-tab-synced', other);

      await region('Editor', other).locator('.view-line').first().click();
      await other.keyboard.press('Control+Home');
      await other.keyboard.type('// and in the second\n');
      await expect.poll(() => textOf(region('Editor'))).toContain('// and in the second');
      expect(await textOf(region('Editor'))).toContain('// typed in the first tab');
    } finally {
      await other.close();
    }
  });
});

describe('small things', () => {
  it('the file name says "modified" to screen readers, not just with a dot', async () => {
    // The two-tab test left lesson 7 edited.
    await expect
      .poll(() => region('Editor').getByRole('img', { name: 'modified' }).isVisible())
      .toBe(true);
  });

  it('hovering a verifier marker renders its Markdown (no raw backticks)', {
    timeout: 600_000,
  }, async () => {
    await openLesson('07-');
    await RUN().click();
    await expect.poll(() => squiggleLines(), { timeout: 240_000 }).toEqual([7]);
    await (await editorLine(7)).locator('span').last().hover();
    const hover = page.locator('.monaco-hover').first();
    await expect.poll(() => hover.isVisible(), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => textOf(hover)).toMatch(/NULL/);
    expect(await textOf(hover)).not.toContain('`');
    expect(await hover.locator('code').count()).toBeGreaterThan(0);
    await shot('small-1-hover-markdown');
  });

  it('a long status error can be read whole', { timeout: 600_000 }, async () => {
    const rejected = /invalid mem access|rejected/i;
    // The hover test before this one leaves lesson 7 rejected; run alone, it runs it here.
    if (!rejected.test(await textOf(status()))) {
      await openLesson('07-');
      await RUN().click();
      await expect.poll(() => textOf(status()), { timeout: 240_000 }).toMatch(rejected);
    }
    await page.setViewportSize({ width: 900, height: 800 });
    try {
      await expect.poll(() => textOf(status())).toMatch(rejected);
      const more = page.getByRole('button', { name: 'Show all' });
      await expect.poll(() => more.isVisible()).toBe(true);
      await more.click();
      const text = page.locator('.status-text');
      await expect
        .poll(() =>
          text.evaluate(
            (e) => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight + 1,
          ),
        )
        .toBe(true);
      await shot('small-2-status-shown-whole');
      await page.getByRole('button', { name: 'Show less' }).click();
    } finally {
      await page.setViewportSize({ width: 1400, height: 900 });
    }
  });

  it('searching Trace output keeps Clear on the same row', async () => {
    const trace = region('Trace output');
    await trace.getByRole('searchbox', { name: 'Search trace' }).fill('invalid');
    await expect.poll(() => textOf(trace.locator('.match-count'))).toMatch(/\d|No matches/);
    const top = (name: string) =>
      trace
        .getByRole('button', { name, exact: true })
        .evaluate((e) => e.getBoundingClientRect().top);
    const searchTop = await trace
      .getByRole('searchbox', { name: 'Search trace' })
      .evaluate((e) => e.getBoundingClientRect().top);
    expect(Math.abs((await top('Clear')) - searchTop)).toBeLessThan(8);
    await shot('small-3-search-one-row');
    await trace.getByRole('searchbox', { name: 'Search trace' }).fill('');
  });

  it('"Attach to" shows its longest choice whole on a wide screen', async () => {
    await page.setViewportSize({ width: 2560, height: 1200 });
    try {
      const select = region('Editor').getByRole('combobox', { name: 'Attach to' });
      const fits = await select.evaluate((element) => {
        const s = element as HTMLSelectElement;
        const measure = document.createElement('span');
        measure.style.font = getComputedStyle(s).font;
        measure.style.position = 'absolute';
        measure.style.whiteSpace = 'pre';
        document.body.append(measure);
        let widest = 0;
        for (const option of Array.from(s.options)) {
          measure.textContent = option.text;
          widest = Math.max(widest, measure.getBoundingClientRect().width);
        }
        measure.remove();
        return { widest, width: s.clientWidth };
      });
      expect(fits.width).toBeGreaterThanOrEqual(fits.widest);
      await shot('small-4-attach-whole');
    } finally {
      await page.setViewportSize({ width: 1400, height: 900 });
    }
  });

  it('a new "Attach to" choice loads the compiled-ahead program as that kind', {
    timeout: 600_000,
  }, async () => {
    await openLesson('02-');
    const name = `picked_${Date.now() % 100_000}`;
    // One line: Monaco closes a `{` as it is typed, and types over that `}` only on its line.
    await setEditorText(`int ${name}(void *ctx) { bpf_trace_printk("picked\\n"); return 0; }`);
    const shell = page.getByRole('textbox', { name: 'Sandbox shell terminal' });
    /** What `bpftool prog show` says of the program, asked in the shell until it says `kind`. */
    const loadedAs = async (kind: string) => {
      const shown = new RegExp(`\\d+: ${kind}\\s+name ${name}`);
      await expect
        .poll(
          async () => {
            await shell.focus();
            await page.keyboard.type(`clear; bpftool prog show name ${name} | head -3\n`);
            await page.waitForTimeout(1_000);
            return region('Sandbox shell').evaluate(
              (element) =>
                (
                  element.querySelector('.xterm') as
                    | (Element & { bufferText?: () => string })
                    | null
                )?.bufferText?.() ?? '',
            );
          },
          { timeout: 240_000, interval: 2_000 },
        )
        .toMatch(shown);
    };
    // Typing paused: compiled ahead and loaded as the lesson's kind, a kprobe.
    await loadedAs('kprobe');
    const picker = region('Editor').getByRole('combobox', { name: 'Attach to' });
    await picker.selectOption({ label: 'tracepoint: syscalls:sys_enter_execve' });
    // Picked, not typed: loaded again as a tracepoint, before any Run.
    await loadedAs('tracepoint');
    await shot('attach-picked-loaded-ahead');
    await picker.selectOption({ index: 0 });
  });

  it('wide code blocks in a lesson scroll instead of being cut', async () => {
    await page.setViewportSize({ width: 1100, height: 800 });
    try {
      await page.goto(`${lab.url}/lessons/${await lessonId('11-')}`);
      await expect.poll(() => region('Lesson').locator('pre').count()).toBeGreaterThan(0);
      const clipped = await region('Lesson').evaluate((lesson) => {
        const box = lesson.getBoundingClientRect();
        return (
          Array.from(lesson.querySelectorAll('pre'))
            .filter((pre) => {
              const wide = pre.scrollWidth > pre.clientWidth + 1;
              const scrolls = ['auto', 'scroll'].includes(getComputedStyle(pre).overflowX);
              const right = pre.getBoundingClientRect().right;
              return (wide && !scrolls) || right > box.right + 1;
            })
            // biome-ignore lint/performance/useDomNodeTextContent: for the failure message only.
            .map((pre) => pre.innerText.slice(0, 60))
        );
      });
      expect(clipped).toEqual([]);
      await shot('small-5-code-blocks-scroll');
    } finally {
      await page.setViewportSize({ width: 1400, height: 900 });
    }
  });

  it('Check says "Checking" once', { timeout: 600_000 }, async () => {
    await openLesson('01-');
    const seen = new Set<string>();
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await expect
      .poll(
        async () => {
          seen.add(await textOf(status()));
          return textOf(page.getByRole('region', { name: 'Checks' }));
        },
        { timeout: 150_000, interval: 100 },
      )
      .toMatch(/passed|failed/i);
    expect([...seen].filter((text) => /Checking.*Checking/.test(text))).toEqual([]);
  });

  it('on a narrow screen the hidden Trace output tab counts new lines', {
    timeout: 600_000,
  }, async () => {
    await page.setViewportSize({ width: 700, height: 1000 });
    try {
      await openLesson('01-');
      const tabs = page.getByRole('tablist', { name: 'Terminals' });
      await tabs.getByRole('tab', { name: /Sandbox shell/ }).click();
      await RUN().click();
      await expect.poll(() => textOf(status()), { timeout: 240_000 }).toMatch(/attached/i);
      await page.getByRole('textbox', { name: 'Sandbox shell terminal' }).focus();
      await page.keyboard.type('ls\n');
      await expect
        .poll(() => textOf(tabs.getByRole('tab', { name: /Trace output/ })), { timeout: 60_000 })
        .toMatch(/\d+ new/);
      await shot('small-6-narrow-trace-badge');
      await tabs.getByRole('tab', { name: /Trace output/ }).click();
      await expect
        .poll(() => textOf(tabs.getByRole('tab', { name: /Trace output/ })))
        .toBe('Trace output');
      await page.getByRole('button', { name: 'Stop', exact: true }).click();
    } finally {
      await page.setViewportSize({ width: 1400, height: 900 });
    }
  });
});
