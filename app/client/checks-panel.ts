/**
 * The "Checks" panel: the lesson's checks against the learner's files, listed as the server
 * reports them (`check-result`, running first, then passed or failed), with the hint of each
 * failure, and a summary line once they are done (`check-done`). Hidden until the first Check,
 * then kept in view until the learner hides it.
 */
import type { CheckResult } from '../shared/protocol.js';
import type { LessonLink } from './api.js';
import { button, h, pane, replaceChildren } from './dom.js';

const STATUS_ICONS: Record<CheckResult['status'], string> = {
  // Running is a CSS spinner: no glyph.
  running: '',
  passed: '✓',
  failed: '✗',
};

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Unknown statuses from a newer server read as running: not passed until it says so. */
function statusOf(result: CheckResult): CheckResult['status'] {
  return result.status in STATUS_ICONS ? result.status : 'running';
}

function renderCheck(result: CheckResult): HTMLElement {
  const status = statusOf(result);
  const failed = status === 'failed';
  return h(
    'li',
    // role="listitem" is explicit for the same reason as the list's role (see below).
    { class: 'check', role: 'listitem', 'data-status': status },
    h('span', { class: 'check-icon', 'aria-hidden': 'true' }, STATUS_ICONS[status]),
    h(
      'div',
      { class: 'check-body' },
      h(
        'div',
        { class: 'check-head' },
        h('span', { class: 'check-title' }, result.title),
        h('span', { class: 'check-status' }, status),
        result.durationMs !== undefined && status !== 'running'
          ? h('span', { class: 'check-duration' }, duration(result.durationMs))
          : null,
      ),
      failed && result.hint ? h('p', { class: 'check-hint' }, result.hint) : null,
      failed && result.detail ? h('pre', { class: 'check-detail' }, result.detail) : null,
    ),
  );
}

export class ChecksPanel {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  /** The summary line under the list: running, the outcome, or why the checks stopped. */
  private readonly summary: HTMLElement;
  private readonly next: HTMLElement;
  /** By the server's index: a check's `running` entry is replaced by its outcome. */
  private readonly results = new Map<number, CheckResult>();

  constructor() {
    // role="list" is explicit because Safari drops list semantics from unstyled lists.
    this.list = h('ul', { class: 'checks-list', role: 'list', 'aria-label': 'Checks' });
    // Polite: the outcome is announced once the checks are done, without stealing focus.
    this.summary = h('span', { class: 'checks-summary-text', 'aria-live': 'polite' });
    this.next = h('span', { class: 'checks-next' });
    this.element = pane(
      'Checks',
      'checks-pane',
      [
        h('div', { class: 'toolbar-spacer' }),
        button('Hide', () => this.hide(), { class: 'small', title: 'Hide the checks' }),
      ],
      h(
        'div',
        { class: 'checks-body' },
        this.list,
        h('div', { class: 'checks-summary' }, this.summary, this.next),
      ),
    );
    this.element.hidden = true;
  }

  /** A Check was sent: forget the previous results and show the panel. */
  start(): void {
    this.results.clear();
    this.setSummary('running', 'Running the checks…');
    this.render();
    this.element.hidden = false;
  }

  /** One check's progress or outcome. */
  result(index: number, result: CheckResult): void {
    this.results.set(index, result);
    this.render();
    this.element.hidden = false;
  }

  /**
   * All checks are done; `next` is the lesson to go on to once they pass. Returns how many of
   * the checks shown passed.
   */
  done(passed: boolean, next: LessonLink | null): { passed: number; total: number } {
    const all = [...this.results.values()];
    const passedCount = all.filter((r) => statusOf(r) === 'passed').length;
    this.setSummary(
      passed ? 'passed' : 'failed',
      passed
        ? 'All checks passed — lesson done ✓'
        : all.length === 0
          ? 'The checks did not pass'
          : `${passedCount} of ${all.length} checks passed`,
    );
    if (passed && next) {
      this.next.append(
        h(
          'a',
          { href: `/lessons/${encodeURIComponent(next.id)}` },
          `Continue with ${next.title} →`,
        ),
      );
    }
    this.element.hidden = false;
    return { passed: passedCount, total: all.length };
  }

  /** The checks ended without `check-done` (an error, or the connection dropped). */
  interrupted(reason: string): void {
    this.setSummary('failed', `The checks did not finish: ${reason}`);
  }

  hide(): void {
    this.element.hidden = true;
  }

  private setSummary(state: 'running' | 'passed' | 'failed', text: string): void {
    this.element.dataset.state = state;
    this.summary.textContent = text;
    replaceChildren(this.next);
  }

  private render(): void {
    const ordered = [...this.results.entries()].sort(([a], [b]) => a - b);
    replaceChildren(this.list, ...ordered.map(([, result]) => renderCheck(result)));
  }
}
