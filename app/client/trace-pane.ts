/**
 * The "Trace output" pane: a read-only terminal showing what the probe prints (trace lines and
 * the events it sends through perf and ring buffers), with a toolbar (Clear, search with
 * next/previous, hide or show the lab's own lines) and a "Jump to latest" prompt. While the learner has
 * scrolled up, xterm keeps the view still as output arrives (auto-scroll pauses) and the pane
 * says new output is waiting below. It takes no input, so Tab and Shift+Tab always move on, and
 * Ctrl+C (with a selection) or Ctrl+Shift+C copies.
 */
import { SearchAddon } from '@xterm/addon-search';
import type { Terminal } from '@xterm/xterm';
import { button, h, pane } from './dom.js';
import type { AckBatcher } from './flow-control.js';
import { local } from './storage.js';
import {
  copyText,
  createTerminal,
  dimLines,
  exposeBufferText,
  isCopyKey,
  keepFitted,
  nameInput,
  type TerminalView,
  viewOf,
} from './terminals.js';
import { TraceHistory } from './trace-history.js';

const HIDE_LAB_KEY = 'ebpf-lab:trace-hide-lab';

const SEARCH_DECORATIONS = {
  matchBackground: '#623315',
  matchOverviewRuler: '#d186167e',
  activeMatchBackground: '#515c6a',
  activeMatchBorder: '#74879f',
  activeMatchColorOverviewRuler: '#a0a0a0cc',
};

function countLines(text: string): number {
  return text.split('\n').length - 1;
}

export class TracePane {
  readonly element: HTMLElement;
  private readonly term: Terminal;
  private readonly view: TerminalView;
  private readonly search = new SearchAddon();
  private readonly screen: HTMLElement;
  private readonly searchInput: HTMLInputElement;
  private readonly matchCount: HTMLElement;
  private readonly scrollPrompt: HTMLElement;
  private readonly scrollPromptText: HTMLElement;
  /** Whether the last thing written ended a line: notes must start on a line of their own. */
  private atLineStart = true;
  private newOutputBelow = false;
  private readonly history = new TraceHistory();
  private hideLab = local.get(HIDE_LAB_KEY) === 'true';
  private readonly labToggle: HTMLButtonElement;

  /** `onLines(n)`: n more lines were written (a hidden pane's tab counts them). */
  constructor(
    private readonly acks: AckBatcher,
    private readonly onLines: (count: number) => void = () => {},
  ) {
    this.term = createTerminal({
      disableStdin: true,
      cursorBlink: false,
      cursorInactiveStyle: 'none',
      // Search decorations are a "proposed" xterm API.
      allowProposedApi: true,
    });
    this.view = viewOf(this.term);
    this.term.loadAddon(this.search);

    this.searchInput = h('input', {
      type: 'search',
      class: 'search-input',
      placeholder: 'Search',
      'aria-label': 'Search trace',
      spellcheck: 'false',
      autocomplete: 'off',
    });
    this.matchCount = h('span', { class: 'match-count', 'aria-live': 'polite' });
    this.screen = h('div', { class: 'terminal-screen' });
    this.labToggle = button('', () => this.setHideLab(!this.hideLab), {
      class: 'small',
      title:
        "Lines marked [lab] come from the lab's own processes (its agent and BCC worker) " +
        'firing your probe, not from your commands',
    });
    this.scrollPromptText = h('span', {}, 'Auto-scroll paused');
    this.scrollPrompt = h(
      'div',
      { class: 'scroll-prompt', hidden: true },
      this.scrollPromptText,
      button('Jump to latest', () => this.jumpToLatest(), { class: 'small' }),
    );

    this.element = pane(
      'Trace output',
      'terminal-pane trace-pane',
      [
        h(
          'div',
          { class: 'toolbar-group search-group' },
          this.searchInput,
          this.matchCount,
          button('↑', () => this.find('previous'), {
            class: 'icon',
            'aria-label': 'Previous match',
            title: 'Previous match (Shift+Enter)',
          }),
          button('↓', () => this.find('next'), {
            class: 'icon',
            'aria-label': 'Next match',
            title: 'Next match (Enter)',
          }),
        ),
        this.labToggle,
        button('Clear', () => this.clear(), { class: 'small', title: 'Clear the trace output' }),
      ],
      h('div', { class: 'terminal-frame' }, this.screen, this.scrollPrompt),
    );

    this.updateLabToggle();
    this.searchInput.addEventListener('input', () => this.find('incremental'));
    this.searchInput.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        this.find(event.shiftKey ? 'previous' : 'next');
      } else if (event.key === 'Escape') {
        this.searchInput.value = '';
        this.find('incremental');
      }
    });
    this.search.onDidChangeResults(({ resultIndex, resultCount }) => {
      if (!this.searchInput.value) this.matchCount.textContent = '';
      else if (resultCount === 0) this.matchCount.textContent = 'No matches';
      else if (resultIndex < 0) this.matchCount.textContent = `${resultCount}+ matches`;
      else this.matchCount.textContent = `${resultIndex + 1} of ${resultCount}`;
    });
  }

  /** Opens the terminal; the pane must be in the document (xterm measures its font). */
  mount(): void {
    this.term.open(this.screen);
    nameInput(this.term, 'Trace output terminal');
    exposeBufferText(this.term);
    keepFitted(this.term, this.screen);
    this.term.attachCustomKeyEventHandler((event) => this.handleKey(event));
    // xterm reports output scrolling; the learner's own scrolling (wheel, scrollbar, keys) is
    // checked after the fact, since not every xterm version reports it.
    this.term.onScroll(() => this.updateScrollPrompt());
    for (const type of ['wheel', 'pointerup', 'keyup', 'touchend']) {
      this.screen.addEventListener(
        type,
        () => requestAnimationFrame(() => this.updateScrollPrompt()),
        {
          passive: true,
        },
      );
    }
  }

  /** false: xterm leaves the key alone (the browser's default action happens). */
  private handleKey(event: KeyboardEvent): boolean {
    // Nothing to type into: Tab belongs to the page, so the shell after it is reachable.
    if (event.key === 'Tab') return false;
    if (isCopyKey(event, this.term.hasSelection())) {
      event.preventDefault();
      if (this.term.hasSelection()) copyText(this.term.getSelection());
      return false;
    }
    return true;
  }

  /** Trace output from the server; acknowledged once written. */
  write(data: string): void {
    if (!data) return;
    this.atLineStart = data.endsWith('\n');
    const ack = this.acks.track('trace', data.length);
    const shown = this.history.add(data, this.hideLab);
    this.onLines(countLines(shown)); // hidden lab lines are not news
    if (this.hideLab) this.updateLabToggle();
    if (!shown) {
      ack(); // all of it was the lab's, hidden: written as far as the server is concerned
      return;
    }
    this.view.write(shown, () => {
      ack();
      if (this.isScrolledUp()) this.newOutputBelow = true;
      this.updateScrollPrompt();
    });
  }

  /** Hides (or shows again) the lines the lab's own processes caused, old ones included. */
  setHideLab(hide: boolean): void {
    this.hideLab = hide;
    local.set(HIDE_LAB_KEY, String(hide));
    this.view.reset();
    this.view.write(this.history.replay(hide));
    this.updateLabToggle();
  }

  private updateLabToggle(): void {
    this.labToggle.setAttribute('aria-pressed', String(this.hideLab));
    const hidden = this.history.labLines;
    this.labToggle.textContent = 'Hide lab lines';
    this.labToggle.dataset.hidden = this.hideLab && hidden > 0 ? String(hidden) : '';
  }

  /** A dim line of the page's own (not acknowledged: the server did not send it). */
  note(text: string): void {
    const prefix = this.atLineStart ? '' : '\r\n';
    this.atLineStart = true;
    this.onLines(text.replace(/\r?\n$/, '').split(/\r?\n/).length);
    this.view.write(this.history.add(prefix + dimLines(text), false));
  }

  clear(): void {
    this.view.reset();
    this.history.clear();
    this.updateLabToggle();
    this.search.clearDecorations();
    this.matchCount.textContent = '';
    this.atLineStart = true;
    this.newOutputBelow = false;
    this.updateScrollPrompt();
  }

  private find(direction: 'next' | 'previous' | 'incremental'): void {
    const query = this.searchInput.value;
    if (!query) {
      this.search.clearDecorations();
      this.matchCount.textContent = '';
      return;
    }
    const options = { decorations: SEARCH_DECORATIONS, incremental: direction === 'incremental' };
    const found =
      direction === 'previous'
        ? this.search.findPrevious(query, options)
        : this.search.findNext(query, options);
    if (!found) this.matchCount.textContent = 'No matches';
  }

  private isScrolledUp(): boolean {
    const buffer = this.term.buffer.active;
    return buffer.viewportY < buffer.baseY;
  }

  private jumpToLatest(): void {
    this.term.scrollToBottom();
    this.newOutputBelow = false;
    this.updateScrollPrompt();
  }

  private updateScrollPrompt(): void {
    const scrolledUp = this.isScrolledUp();
    if (!scrolledUp) this.newOutputBelow = false;
    this.scrollPrompt.hidden = !scrolledUp;
    this.scrollPromptText.textContent = this.newOutputBelow
      ? 'New output below'
      : 'Auto-scroll paused';
    this.scrollPrompt.classList.toggle('has-new-output', this.newOutputBelow);
  }
}
