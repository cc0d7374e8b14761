/**
 * xterm.js terminals for the lab: one look (matching Monaco's vs-dark), the DOM renderer (its
 * text stays in the page, for screen readers and tests), fitting to the pane, and a tiny
 * interface the panes use so the rest of the page does not depend on xterm.
 */
import { FitAddon } from '@xterm/addon-fit';
import { type ITerminalOptions, type ITheme, Terminal } from '@xterm/xterm';
import { MONO_FONT } from './fonts.js';

/** What the panes need from a terminal. */
export interface TerminalView {
  /** Writes output; `onWritten` runs once the terminal has processed it (flow control). */
  write(data: string, onWritten?: () => void): void;
  /** Keystrokes and pastes, ready to send to a pty. */
  onData(listener: (data: string) => void): { dispose(): void };
  /** Clears everything: screen, scrollback and modes. */
  reset(): void;
}

/** VS Code's dark terminal palette, so the terminals sit well next to Monaco's vs-dark. */
const THEME: ITheme = {
  background: '#1e1e1e',
  foreground: '#cccccc',
  cursor: '#aeafad',
  cursorAccent: '#1e1e1e',
  selectionBackground: '#264f78',
  black: '#000000',
  red: '#cd3131',
  green: '#0dbc79',
  yellow: '#e5e510',
  blue: '#2472c8',
  magenta: '#bc3fbc',
  cyan: '#11a8cd',
  white: '#e5e5e5',
  brightBlack: '#858585',
  brightRed: '#f14c4c',
  brightGreen: '#23d18b',
  brightYellow: '#f5f543',
  brightBlue: '#3b8eea',
  brightMagenta: '#d670d6',
  brightCyan: '#29b8db',
  brightWhite: '#ffffff',
};

/** A terminal with the lab's look; no renderer addon, so xterm 6 uses its DOM renderer. */
export function createTerminal(options: ITerminalOptions = {}): Terminal {
  return new Terminal({
    fontFamily: MONO_FONT,
    fontSize: 13,
    lineHeight: 1.15,
    scrollback: 10_000,
    theme: THEME,
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
