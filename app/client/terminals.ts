/**
 * xterm.js terminals for the lab: one look (matching Monaco's vs-dark), the DOM renderer (its
 * text stays in the page, for screen readers and tests), fitting to the pane, and a tiny
 * interface the panes use so the rest of the page does not depend on xterm.
 */
import { FitAddon } from '@xterm/addon-fit';
import { type ITerminalOptions, Terminal } from '@xterm/xterm';
import { MONO_FONT } from './fonts.js';
import { MINIMUM_CONTRAST, TERMINAL_THEME } from './terminal-theme.js';

/** What the panes need from a terminal. */
export interface TerminalView {
  /** Writes output; `onWritten` runs once the terminal has processed it (flow control). */
  write(data: string, onWritten?: () => void): void;
  /** Keystrokes and pastes, ready to send to a pty. */
  onData(listener: (data: string) => void): { dispose(): void };
  /** Clears everything: screen, scrollback and modes. */
  reset(): void;
}

/** A terminal with the lab's look; no renderer addon, so xterm 6 uses its DOM renderer. */
export function createTerminal(options: ITerminalOptions = {}): Terminal {
  return new Terminal({
    fontFamily: MONO_FONT,
    fontSize: 13,
    lineHeight: 1.15,
    scrollback: 10_000,
    theme: TERMINAL_THEME,
    // Whatever colours a program picks, xterm draws them readable on the background.
    minimumContrastRatio: MINIMUM_CONTRAST,
    ...options,
  });
}

export function viewOf(term: Terminal): TerminalView {
  return {
    write: (data, onWritten) => term.write(data, onWritten),
    onData: (listener) => term.onData(listener),
    reset: () => term.reset(),
  };
}

/**
 * Names the terminal's input for screen readers and tests (xterm calls every one "Terminal
 * input", and a page with two must tell them apart).
 */
export function nameInput(term: Terminal, name: string): void {
  term.textarea?.setAttribute('aria-label', name);
}

/**
 * Gives the terminal's element a `bufferText()` returning every row, scrollback included, one
 * per line as drawn: the DOM renderer keeps only the rows on screen in the page, and the
 * browser tests (or someone in the devtools console) need the rest.
 */
export function exposeBufferText(term: Terminal): void {
  if (!term.element) return;
  Object.defineProperty(term.element, 'bufferText', {
    value: () => {
      const buffer = term.buffer.active;
      const rows: string[] = [];
      for (let i = 0; i < buffer.length; i++)
        rows.push(buffer.getLine(i)?.translateToString(true) ?? '');
      return rows.join('\n');
    },
  });
}

/** Copies `text` to the clipboard (a terminal's selection). */
export function copyText(text: string): void {
  // The async clipboard exists only in secure contexts (https, localhost). Elsewhere the old
  // copy command still works: xterm answers the copy event of its focused textarea.
  if (navigator.clipboard) {
    navigator.clipboard.writeText(text).catch((error: unknown) => {
      // Denied (no permission, page not focused): the old command is the fallback.
      console.debug('[ebpf-lab] clipboard write refused', error);
      document.execCommand('copy');
    });
  } else document.execCommand('copy');
}

/** Whether `event` asks to copy: Ctrl+Shift+C, or Ctrl+C while there is a selection. */
export function isCopyKey(event: KeyboardEvent, hasSelection: boolean): boolean {
  if (event.type !== 'keydown' || !event.ctrlKey || event.altKey || event.metaKey) return false;
  if (event.code !== 'KeyC') return false;
  return event.shiftKey || hasSelection;
}

/** `text` as dim line(s) for a terminal (`\r\n` line ends, ANSI faint). */
export function dimLines(text: string): string {
  const lines = text.replace(/\r?\n$/, '').split(/\r?\n/);
  return lines.map((line) => `\x1b[2m${line}\x1b[22m\r\n`).join('');
}

/**
 * Keeps `term` fitted to `container`: refits whenever the container's size changes (window
 * resize, splitter drag, a hidden tab shown) and reports the new size.
 */
export function keepFitted(
  term: Terminal,
  container: HTMLElement,
  onFitted: (cols: number, rows: number) => void = () => {},
): FitAddon {
  const fit = new FitAddon();
  term.loadAddon(fit);
  let frame = 0;
  const refit = () => {
    frame = 0;
    // A hidden pane (a narrow screen's other tab) has no size: fitting it would give nonsense.
    if (container.clientWidth === 0 || container.clientHeight === 0) return;
    if (!fit.proposeDimensions()) return;
    fit.fit();
    onFitted(term.cols, term.rows);
  };
  new ResizeObserver(() => {
    // Coalesce a drag's many resize notifications into one fit per frame.
    if (frame === 0) frame = requestAnimationFrame(refit);
  }).observe(container);
  return fit;
}
