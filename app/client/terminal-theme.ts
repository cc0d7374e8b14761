/**
 * The terminals' colours: VS Code's dark terminal palette, with the colours that were too dark
 * on its background lightened so every colour a program (or the lab) writes in reads at WCAG
 * AA contrast, 4.5:1 or more (checked by terminal-theme.test.ts). Pure data, so the test needs
 * no terminal.
 */
import type { ITheme } from '@xterm/xterm';

/** The contrast WCAG AA asks of normal text, also xterm's floor for any colour it draws. */
export const MINIMUM_CONTRAST = 4.5;

/**
 * Faint text (SGR 2: the lab's own notes, `[… dropped]`, a program's dim output). xterm draws
 * it at half the foreground's opacity, about 3.6:1 here; the stylesheet gives it this colour
 * instead (`--terminal-dim`, kept equal to it by the test).
 */
export const DIM_FOREGROUND = '#a3a3a3';

export const TERMINAL_THEME = {
  background: '#1e1e1e',
  foreground: '#cccccc',
  cursor: '#aeafad',
  cursorAccent: '#1e1e1e',
  selectionBackground: '#264f78',
  // Black text is for light backgrounds; on this one xterm lifts it to MINIMUM_CONTRAST.
  black: '#000000',
  red: '#f06262',
  green: '#0dbc79',
  yellow: '#e5e510',
  blue: '#5a9ee6',
  magenta: '#d16bd1',
  cyan: '#11a8cd',
  white: '#e5e5e5',
  brightBlack: '#a3a3a3',
  brightRed: '#f47a7a',
  brightGreen: '#23d18b',
  brightYellow: '#f5f543',
  brightBlue: '#6aaaf0',
  brightMagenta: '#dc85dc',
  brightCyan: '#29b8db',
  brightWhite: '#ffffff',
} as const satisfies ITheme;
