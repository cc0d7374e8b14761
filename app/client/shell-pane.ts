/**
 * The "Sandbox shell" pane: an interactive terminal on a shell inside the sandbox. Keystrokes go
 * to the server as `shell-input`, its output comes back as `shell-output`, and the terminal is
 * kept fitted to the pane, telling the server each new size so the shell's pty matches.
 * Copying a selection and pasting also work with Ctrl+Shift+C / Ctrl+Shift+V, since plain
 * Ctrl+C and Ctrl+V belong to the shell (interrupt, literal next). Tab completes in the shell;
 * with "Tab moves focus" on (Ctrl+M) it leaves the shell instead.
 */
import type { Terminal } from '@xterm/xterm';
import type { ClientMessage } from '../shared/protocol.js';
import { h, pane } from './dom.js';
import type { AckBatcher } from './flow-control.js';
import { isTabFocusKey, type TabFocusMode } from './tab-focus.js';
import {
  copyText,
  createTerminal,
  dimLines,
  exposeBufferText,
  keepFitted,
  nameInput,
  type TerminalView,
  viewOf,
} from './terminals.js';

/** Under the protocol's 64 KiB per `shell-input`, so a large paste goes out in several. */
const INPUT_CHUNK = 16 * 1024;

function clampSize(value: number): number {
  return Math.max(2, Math.min(1000, Math.floor(value)));
}

export class ShellPane {
  readonly element: HTMLElement;
  private readonly term: Terminal;
  private readonly view: TerminalView;
  private readonly screen: HTMLElement;
  private atLineStart = true;
  private sentSize = '';

  constructor(
    private readonly send: (message: ClientMessage) => boolean,
    private readonly acks: AckBatcher,
    private readonly tabFocus: TabFocusMode,
  ) {
    this.term = createTerminal({ cursorBlink: true });
    this.view = viewOf(this.term);
    this.screen = h('div', { class: 'terminal-screen' });
    this.element = pane(
      'Sandbox shell',
      'terminal-pane shell-pane',
      [
        h(
          'span',
          { class: 'pane-hint', title: 'Ctrl+Shift+C / Ctrl+Shift+V to copy and paste' },
          'Ctrl+Shift+C / Ctrl+Shift+V to copy and paste',
        ),
        h('div', { class: 'toolbar-spacer' }),
        tabFocus.switchFor('completes commands'),
      ],
      h('div', { class: 'terminal-frame' }, this.screen),
    );
  }

  /** Opens the terminal; the pane must be in the document (xterm measures its font). */
  mount(): void {
    this.term.open(this.screen);
    nameInput(this.term, 'Sandbox shell terminal');
    exposeBufferText(this.term);
    keepFitted(this.term, this.screen, () => this.sendSize(false));
    this.view.onData((data) => this.input(data));
    this.term.attachCustomKeyEventHandler((event) => this.handleKey(event));
  }

  /** Shell output from the server; acknowledged once written. */
  write(data: string): void {
    if (!data) return;
    this.atLineStart = data.endsWith('\n');
    this.view.write(data, this.acks.track('shell', data.length));
  }

  /** A dim line of the page's own, such as an output-dropped note. */
  note(text: string): void {
    const prefix = this.atLineStart ? '' : '\r\n';
    this.atLineStart = true;
    this.view.write(prefix + dimLines(text));
  }

  /** Types `text` into the shell, as if the learner had. */
  input(text: string): void {
    for (let start = 0; start < text.length; ) {
      let end = Math.min(text.length, start + INPUT_CHUNK);
      // Never split a surrogate pair between two messages.
      const last = text.charCodeAt(end - 1);
      if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
      this.send({ type: 'shell-input', data: text.slice(start, end) });
      start = end;
    }
  }

  /** Tells the server the terminal's size: after each fit, and with `force` on (re)connect. */
  sendSize(force: boolean): void {
    const cols = clampSize(this.term.cols);
    const rows = clampSize(this.term.rows);
    const size = `${cols}x${rows}`;
    if (!force && size === this.sentSize) return;
    if (this.send({ type: 'shell-resize', cols, rows })) this.sentSize = size;
  }

  focus(): void {
    this.term.focus();
  }

  /** false: xterm leaves the key alone (the browser's default action happens). */
  private handleKey(event: KeyboardEvent): boolean {
    if (isTabFocusKey(event)) {
      event.preventDefault();
      this.tabFocus.toggle();
      return false;
    }
    if (event.key === 'Tab' && this.tabFocus.enabled) return false;
    if (event.type !== 'keydown' || !event.ctrlKey || !event.shiftKey) return true;
    if (event.code === 'KeyC') {
      if (this.term.hasSelection()) copyText(this.term.getSelection());
      event.preventDefault();
      return false;
    }
    // Returning false leaves the key to the browser, whose own paste then reaches xterm.
    if (event.code === 'KeyV') return false;
    return true;
  }
}
