/**
 * The status line: always says what is happening. It shows the server's `status` text (starting
 * sandbox, compiling, attached...), errors, and connection trouble, which takes precedence for
 * as long as it lasts and then gives the line back to the latest server status. A longer
 * activity of the page's own (checking the lesson) prefixes the server's text while it lasts,
 * and a brief note (the lesson was reloaded) shows for a few seconds. A text too long for the
 * line gets a "Show all" button that lets the line wrap, so a long error can be read whole.
 */
import type { Phase } from '../shared/protocol.js';
import { button, h } from './dom.js';

/** Drives the colour and the activity indicator. */
export type Tone = 'idle' | 'busy' | 'ok' | 'warn' | 'error';

export function toneOfPhase(phase: Phase): Tone {
  switch (phase) {
    case 'starting':
    case 'compiling':
    case 'loading':
      return 'busy';
    case 'attached':
      return 'ok';
    case 'error':
      return 'error';
    default:
      return 'idle';
  }
}

/**
 * The status line's text while `activity` lasts: the server's text alone when it already says
 * the activity ("Checking What is eBPF?…" during "Checking…"), else both.
 */
export function withActivity(activity: string, text: string): string {
  const stem = activity.replace(/(…|\.\.\.)$/, '').trim();
  if (text === activity || (stem !== '' && text.startsWith(stem))) return text;
  return `${activity} · ${text}`;
}

export class StatusLine {
  /** The status line and its "Show all" button. */
  readonly element: HTMLElement;
  private readonly line: HTMLElement;
  private readonly text: HTMLElement;
  private readonly more: HTMLButtonElement;
  private expanded = false;
  private latest: { text: string; tone: Tone } = { text: 'Connecting…', tone: 'busy' };
  private problem: { text: string; tone: Tone } | null = null;
  private note: { text: string; tone: Tone } | null = null;
  private noteTimer: number | undefined;
  private activity: string | null = null;

  constructor() {
    this.text = h('span', { class: 'status-text' });
    this.line = h(
      'div',
      { class: 'status-line', role: 'status', 'aria-live': 'polite' },
      h('span', { class: 'status-dot', 'aria-hidden': 'true' }),
      this.text,
    );
    this.more = button('Show all', () => this.setExpanded(!this.expanded), {
      class: 'small status-more',
      'aria-expanded': 'false',
      title: 'Show the whole status text',
      hidden: true,
    });
    this.element = h('div', { class: 'lab-status-bar' }, this.line, this.more);
    // The line's width changes with the window: whether the text fits is measured again.
    new ResizeObserver(() => this.updateMore()).observe(this.line);
    this.render();
  }

  private setExpanded(expanded: boolean): void {
    this.expanded = expanded;
    this.element.classList.toggle('expanded', expanded);
    this.more.textContent = expanded ? 'Show less' : 'Show all';
    this.more.setAttribute('aria-expanded', String(expanded));
    this.updateMore();
  }

  /** The button shows while the text is cut (or while it is expanded, to fold it back). */
  private updateMore(): void {
    const cut = this.text.scrollWidth > this.text.clientWidth + 1;
    this.more.hidden = !this.expanded && !cut;
  }

  /** What the lab is doing now. */
  show(text: string, tone: Tone): void {
    this.latest = { text, tone };
    // Newer news than the note: the note has had its moment.
    this.clearNote();
    this.render();
  }

  /** A note that shows for `ms`, then gives the line back (or until the next `show`). */
  flash(text: string, tone: Tone, ms = 4000): void {
    this.clearNote();
    this.note = { text, tone };
    this.noteTimer = window.setTimeout(() => {
      this.clearNote();
      this.render();
    }, ms);
    this.render();
  }

  /**
   * What the page is busy with across several server statuses (e.g. "Checking…"), said before
   * each of them until cleared with `null`, so the server's own steps still show.
   */
  setActivity(text: string | null): void {
    this.activity = text;
    this.render();
  }

  /** Connection trouble overrides the line until cleared with `null`. */
  setConnectionProblem(text: string | null, tone: Tone = 'warn'): void {
    this.problem = text === null ? null : { text, tone };
    this.render();
  }

  private clearNote(): void {
    window.clearTimeout(this.noteTimer);
    this.noteTimer = undefined;
    this.note = null;
  }

  private current(): { text: string; tone: Tone } {
    if (this.problem) return this.problem;
    if (this.note) return this.note;
    const { activity, latest } = this;
    if (!activity) return latest;
    return {
      text: withActivity(activity, latest.text),
      // An idle server status mid-activity is one step of it: the line still looks busy.
      tone: latest.tone === 'idle' ? 'busy' : latest.tone,
    };
  }

  private render(): void {
    const { text, tone } = this.current();
    if (this.text.textContent !== text) {
      this.text.textContent = text;
      // "Show all" was for the text before; a new one starts on one line again.
      if (this.expanded) this.setExpanded(false);
    }
    // The line is clipped on narrow screens; the tooltip and "Show all" keep the whole text.
    this.line.title = text;
    this.line.dataset.tone = tone;
    // Whether the text is cut is known once it is laid out.
    requestAnimationFrame(() => this.updateMore());
  }
}
