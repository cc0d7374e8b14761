/**
 * "Reset sandbox": the learner's way out of a sandbox they broke (a fork bomb, full files, a
 * killed agent) without asking anyone. Asks first, since it ends everything running in the
 * sandbox; the server then starts a fresh one and puts the learner's saved files back in it.
 * Keyboard: Ctrl+Alt+R (Ctrl+Option+R on a Mac) from anywhere on the lesson page.
 */
import type { ClientMessage } from '../shared/protocol.js';
import { h } from './dom.js';

export const RESET_SANDBOX_CONFIRM =
  'Reset the sandbox? Everything running in it stops (the shell, your Run) and a fresh one ' +
  'starts. Your code in the editor is kept.';

export class ResetSandboxControl {
  readonly element: HTMLButtonElement;

  constructor(
    private readonly send: (message: ClientMessage) => boolean,
    /** Called when the request could not be sent (no connection). */
    private readonly notSent: () => void,
  ) {
    this.element = h(
      'button',
      {
        type: 'button',
        class: 'reset-sandbox',
        'aria-keyshortcuts': 'Control+Alt+R',
        title: 'Stop this sandbox and start a fresh one; your code is kept (Ctrl+Alt+R)',
      },
      'Reset sandbox',
    );
    this.element.addEventListener('click', () => this.reset());
    document.addEventListener('keydown', (event) => {
      if (event.ctrlKey && event.altKey && !event.shiftKey && event.code === 'KeyR') {
        event.preventDefault();
        this.reset();
      }
    });
  }

  reset(): void {
    if (!confirm(RESET_SANDBOX_CONFIRM)) return;
    if (!this.send({ type: 'reset-sandbox' })) this.notSent();
  }
}
