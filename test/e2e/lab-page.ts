/**
 * A learner's hands on a lesson page in real Chromium: the buttons, the shell, the editor and
 * what the panes say, by their accessible names. For browser tests that walk lessons.
 */
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

/** Compiling under software emulation on a busy machine can take minutes (the limit is 120 s). */
export const RUN_TIMEOUT_MS = 300_000;
export const CHECK_TIMEOUT_MS = 360_000;
/** A script in the shell compiles its probe before it prints anything. */
export const SCRIPT_TIMEOUT_MS = 240_000;

export class LabPage {
  constructor(
    readonly page: Page,
    private readonly screenshots: string,
  ) {}

  region(name: string): Locator {
    return this.page.getByRole('region', { name, exact: true });
  }

  status(): Locator {
    return this.page.getByRole('status').first();
  }

  button(name: string): Locator {
    return this.page.getByRole('button', { name, exact: true });
  }

  async shot(name: string): Promise<void> {
    await this.page.screenshot({ path: join(this.screenshots, `${name}.png`) });
  }

  /** Text as a person reads it (xterm and Monaco draw spaces as nbsp). */
  async textOf(locator: Locator): Promise<string> {
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a learner reads.
    return (await locator.innerText()).replace(/\u00a0/g, ' ');
  }

  async statusText(): Promise<string> {
    return this.textOf(this.status());
  }

  /**
   * Everything a terminal pane holds, scrollback included, a row per line: from xterm's buffer
   * (see exposeBufferText), since the page itself holds only the rows on screen.
   */
  async terminalText(name: 'Trace output' | 'Sandbox shell'): Promise<string> {
    const text = await this.region(name).evaluate((element) => {
      const term = element.querySelector('.xterm') as
        | (Element & { bufferText?: () => string })
        | null;
      return term?.bufferText?.() ?? '';
    });
    return text.replace(/\u00a0/g, ' ');
  }

  /** Waits until `pattern` shows in a terminal pane; fails with what the pane does show. */
  async waitInTerminal(
    name: 'Trace output' | 'Sandbox shell',
    pattern: RegExp,
    timeout: number,
  ): Promise<void> {
    await expect.poll(() => this.terminalText(name), { timeout, interval: 2000 }).toMatch(pattern);
  }

  /** How many times `pattern` (global) occurs in a terminal pane now. */
  async countInTerminal(name: 'Trace output' | 'Sandbox shell', pattern: RegExp): Promise<number> {
    return (await this.terminalText(name)).match(pattern)?.length ?? 0;
  }

  /**
   * Waits until `pattern` (global) occurs more often than `before` times: for output that an
   * earlier step (or lesson: the shell is the same) already printed once.
   */
  async waitForMore(
    name: 'Trace output' | 'Sandbox shell',
    pattern: RegExp,
    before: number,
    timeout: number,
  ): Promise<void> {
    await expect
      .poll(() => this.countInTerminal(name, pattern), { timeout, interval: 2000 })
      .toBeGreaterThan(before);
  }

  /**
   * Opens a lesson and waits until the lab is no longer busy starting (the status may say
   * ready, or what a run is doing).
   */
  async open(url: string, title: string): Promise<void> {
    await this.page.goto(url);
    await expect.poll(() => this.textOf(this.region('Lesson'))).toContain(title);
    await expect
      .poll(
        async () =>
          (await this.status().getAttribute('data-tone')) !== 'busy' &&
          !/Connecting/.test(await this.statusText()),
        { timeout: RUN_TIMEOUT_MS, interval: 1000 },
      )
      .toBe(true);
  }

  /**
   * Presses Run and waits for the run to end: attached, with a status matching `expected`, or
   * (`'error'`) failed, as when a lesson asks for a compile or verifier error.
   */
  async run(expected: RegExp | 'error' = /^Attached to /): Promise<string> {
    await this.button('Run').click();
    // "Run requested…", compiling and loading are busy; attached is ok, a failure an error.
    await expect
      .poll(() => this.status().getAttribute('data-tone'), {
        timeout: RUN_TIMEOUT_MS,
        interval: 1000,
      })
      .not.toBe('busy');
    const text = await this.statusText();
    if (expected === 'error')
      expect(await this.status().getAttribute('data-tone'), text).toBe('error');
    else expect(text).toMatch(expected);
    return text;
  }

  async stop(): Promise<void> {
    await this.button('Stop').click();
    await expect.poll(() => this.statusText(), { timeout: 60_000 }).toMatch(/stopped/i);
  }

  /** Presses Check and expects every check to pass and the lesson to be marked done. */
  async checkPasses(): Promise<void> {
    await this.button('Check').click();
    const panel = this.page.getByRole('region', { name: 'Checks' });
    await expect
      .poll(() => this.textOf(panel), { timeout: CHECK_TIMEOUT_MS, interval: 2000 })
      .toMatch(/All checks passed|checks passed|did not/i);
    const summary = await this.textOf(panel);
    expect(summary, summary).toMatch(/All checks passed/);
    await expect.poll(() => this.page.locator('.lesson-done-badge').isVisible()).toBe(true);
  }

  /**
   * Clicks "Run in shell" on the lesson's shell block whose commands (the `$ ` lines of a
   * console block) are exactly `commands`; `occurrence` picks among identical blocks.
   */
  async runInShell(commands: string[], occurrence = 0): Promise<void> {
    const blocks = this.region('Lesson').locator('.code-block[data-lang="console"]');
    const wanted = JSON.stringify(commands);
    const index = await blocks.evaluateAll(
      (elements, [wanted, occurrence]) => {
        const matches = elements
          .map((element, i) => ({ element, i }))
          .filter(({ element }) => {
            const lines = (element.querySelector('code')?.textContent ?? '').split('\n');
            const typed = lines.filter((l) => l.startsWith('$ ')).map((l) => l.slice(2));
            return JSON.stringify(typed) === wanted;
          });
        return matches[Number(occurrence)]?.i ?? -1;
      },
      [wanted, String(occurrence)],
    );
    expect(index, `a shell block with ${wanted} in the lesson`).toBeGreaterThanOrEqual(0);
    const block = blocks.nth(index);
    await block.scrollIntoViewIfNeeded();
    await block.getByRole('button', { name: 'Run in shell' }).click();
  }

  private async shellLines(): Promise<string[]> {
    return (await this.terminalText('Sandbox shell'))
      .split('\n')
      .map((l) => l.trimEnd())
      .filter((l) => l !== '');
  }

  /** How many times the shell has echoed `command` after its prompt so far. */
  async echoCount(command: string): Promise<number> {
    return (await this.shellLines()).filter((l) => l.endsWith(`# ${command}`)).length;
  }

  /**
   * Waits until the shell has echoed `command` once more than `before` times (when given) and
   * is back at its prompt after it: its last line ends in `#`.
   */
  async waitForPrompt(command?: string, before = 0, timeout = SCRIPT_TIMEOUT_MS): Promise<void> {
    await expect
      .poll(
        async () => {
          const lines = await this.shellLines();
          if (command !== undefined) {
            const echoes = lines.filter((l) => l.endsWith(`# ${command}`)).length;
            if (echoes <= before) return `not echoed yet: ${command}`;
          }
          return lines.at(-1) ?? '';
        },
        { timeout, interval: 1000 },
      )
      .toMatch(/#$/);
  }

  /** Types a command in the shell as a learner would, then Enter. */
  async typeInShell(command: string): Promise<void> {
    await this.region('Sandbox shell').locator('.xterm').click();
    await this.page.keyboard.type(command);
    await this.page.keyboard.press('Enter');
  }

  async pressInShell(key: string): Promise<void> {
    await this.region('Sandbox shell').locator('.xterm').click();
    await this.page.keyboard.press(key);
  }

  /** Selects an editor tab by file name (lessons with several files). */
  async openTab(name: string): Promise<void> {
    await this.page.getByRole('tab', { name }).click();
    await expect
      .poll(() => this.page.getByRole('tab', { name }).getAttribute('aria-selected'))
      .toBe('true');
  }

  /**
   * Puts the editor's cursor on line `line` (1-based) from the top with the arrow keys (the
   * lab's editor has no go-to-line command).
   */
  async goToLine(line: number): Promise<void> {
    await this.region('Editor').locator('.view-lines').click();
    await this.page.keyboard.press('Control+Home');
    for (let i = 1; i < line; i++) await this.page.keyboard.press('ArrowDown');
  }

  /**
   * Replaces lines `from`..`to` (1-based, inclusive) of the editor, from their first non-space
   * character, with `text`, as a learner selecting them and pasting would.
   */
  async replaceLines(from: number, to: number, text: string): Promise<void> {
    await this.goToLine(from);
    await this.page.keyboard.press('End');
    await this.page.keyboard.press('Home');
    for (let i = from; i < to; i++) await this.page.keyboard.press('Shift+ArrowDown');
    await this.page.keyboard.press('Shift+End');
    await this.page.keyboard.insertText(text);
  }

  /** The editor's lines on screen, top to bottom. */
  async editorText(): Promise<string> {
    // Monaco positions each line absolutely and reuses their elements, so the page's order of
    // them is not the order on screen (lesson 7's `while` line was read as line 2).
    const text = await this.region('Editor')
      .locator('.view-lines')
      .evaluate((element) =>
        Array.from(element.querySelectorAll<HTMLElement>('.view-line'))
          .sort((a, b) => Number.parseFloat(a.style.top) - Number.parseFloat(b.style.top))
          .map((line) => line.textContent ?? '')
          .join('\n'),
      );
    return text.replace(/\u00a0/g, ' ');
  }
}
