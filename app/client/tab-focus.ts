/**
 * "Tab moves focus": one switch for the whole lesson page, like VS Code's Ctrl+M. Off (the
 * default), Tab indents in the editor and completes in the Sandbox shell; on, Tab and Shift+Tab
 * leave them for the next or previous control like everywhere else, so the keyboard alone
 * reaches every control and leaves it. Ctrl+M in the editor or the shell (or a click on the
 * switch, shown in both panes) turns it on and off. Trace output never keeps Tab at all.
 */
import { button, h } from './dom.js';

type Listener = (on: boolean) => void;

/** Ctrl+M on every platform (Cmd+M minimises a window on macOS, so it is not used). */
export function isTabFocusKey(event: KeyboardEvent): boolean {
  return (
    event.type === 'keydown' &&
    event.ctrlKey &&
    !event.shiftKey &&
    !event.altKey &&
    !event.metaKey &&
    event.code === 'KeyM'
  );
}

export class TabFocusMode {
  private on = false;
  private readonly listeners = new Set<Listener>();

  get enabled(): boolean {
    return this.on;
  }

  toggle(): void {
    this.on = !this.on;
    for (const listener of this.listeners) listener(this.on);
  }

  /** Calls `listener` now and on every change. */
  watch(listener: Listener): void {
    this.listeners.add(listener);
    listener(this.on);
  }

  /** A visible switch for a pane that keeps Tab: says what Tab does there and how to change it. */
  switchFor(tabDoes: string): HTMLButtonElement {
    const state = h('span', { class: 'tab-focus-state' });
    const toggle = button(
      h('span', {}, 'Tab moves focus: ', state, ' ', h('kbd', {}, 'Ctrl+M')),
      () => this.toggle(),
      {
        class: 'small tab-focus-switch',
        // A stable name; aria-pressed says whether it is on.
        'aria-label': 'Tab moves focus',
        'aria-keyshortcuts': 'Control+M',
        title: `Off: Tab ${tabDoes}. On: Tab and Shift+Tab move to the next and previous control. Ctrl+M switches.`,
      },
    );
    this.watch((on) => {
      toggle.setAttribute('aria-pressed', String(on));
      state.textContent = on ? 'on' : 'off';
    });
    return toggle;
  }
}
