/**
 * The status line: always says what is happening. It shows the server's `status` text (starting
 * sandbox, compiling, attached...), errors, and connection trouble, which takes precedence for
 * as long as it lasts and then gives the line back to the latest server status.
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
    this.render();
  }

  /** Connection trouble overrides the line until cleared with `null`. */
  setConnectionProblem(text: string | null, tone: Tone = 'warn'): void {
    this.problem = text === null ? null : { text, tone };
    this.render();
  }

  private render(): void {
    const { text, tone } = this.problem ?? this.latest;
    if (this.text.textContent !== text) this.text.textContent = text;
    // The line is clipped on narrow screens; the tooltip keeps the whole text.
    this.element.title = text;
    this.element.dataset.tone = tone;
  }
}
