/**
 * The notice a lesson page shows while a probe started from another lesson is still attached:
 * that run's status and trace lines belong to its own lesson's page, so this page says where it
 * is and offers to stop it (the learner's sandbox runs one probe at a time).
 */
import type { OtherRun } from '../shared/protocol.js';
import { h } from './dom.js';

export class OtherRunNotice {
  readonly element: HTMLElement;
  private readonly text: HTMLElement;
  private readonly link: HTMLAnchorElement;
  private readonly stopButton: HTMLButtonElement;

  constructor(stop: () => void) {
    this.text = h('span', { class: 'other-run-text' });
    this.link = h('a', { class: 'other-run-link' });
    this.stopButton = h('button', { type: 'button', class: 'other-run-stop' }, 'Stop it');
    this.stopButton.addEventListener('click', () => {
      this.stopButton.disabled = true;
      stop();
    });
    this.element = h(
      'div',
      { class: 'other-run-notice', 'aria-live': 'polite' },
      this.text,
      this.link,
      this.stopButton,
    );
    this.element.hidden = true;
  }

  /** The other lesson's attached run, or `null` once nothing of another lesson is attached. */
  show(run: OtherRun | null): void {
    this.element.hidden = run === null;
    this.stopButton.disabled = false;
    if (!run) return;
    this.text.textContent = `A probe from another lesson is still attached (${run.where}); its trace lines show there, not here.`;
    this.link.textContent = `Open “${run.title}”`;
    this.link.href = `/lessons/${encodeURIComponent(run.lessonId)}`;
    this.stopButton.setAttribute('aria-label', `Stop the probe of “${run.title}”`);
  }
}
