/**
 * The status line: always says what is happening. It shows the server's `status` text (starting
 * sandbox, compiling, attached...), errors, and connection trouble, which takes precedence for
 * as long as it lasts and then gives the line back to the latest server status. A longer
 * activity of the page's own (checking the lesson) prefixes the server's text while it lasts,
 * and a brief note (the lesson was reloaded) shows for a few seconds.
 */
import type { Phase } from '../shared/protocol.js';
import { h } from './dom.js';

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

export class StatusLine {
  readonly element: HTMLElement;
  private readonly text: HTMLElement;
  private latest: { text: string; tone: Tone } = { text: 'Connecting…', tone: 'busy' };
  private problem: { text: string; tone: Tone } | null = null;
  private note: { text: string; tone: Tone } | null = null;
  private noteTimer: number | undefined;
  private activity: string | null = null;

  constructor() {
    this.text = h('span', { class: 'status-text' });
    this.element = h(
      'div',
      { class: 'status-line', role: 'status', 'aria-live': 'polite' },
      h('span', { class: 'status-dot', 'aria-hidden': 'true' }),
      this.text,
    );
    this.render();
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
      text: latest.text === activity ? activity : `${activity} · ${latest.text}`,
      // An idle server status mid-activity is one step of it: the line still looks busy.
      tone: latest.tone === 'idle' ? 'busy' : latest.tone,
    };
  }

  private render(): void {
    const { text, tone } = this.current();
    if (this.text.textContent !== text) this.text.textContent = text;
    // The line is clipped on narrow screens; the tooltip keeps the whole text.
    this.element.title = text;
    this.element.dataset.tone = tone;
  }
}
