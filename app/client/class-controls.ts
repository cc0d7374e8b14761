/**
 * What a class member's lesson page adds: a "Raise hand" / "Lower hand" toggle in the top bar
 * (shown only to members of a class), and the instructor's broadcasts as a banner under it,
 * which the learner can dismiss. The hand's state and a recent banner come from
 * `GET /api/classroom` when the page opens; after that from the socket (`hand`, `banner`), so
 * every tab of the learner agrees, and a hand the instructor lowers goes down here too.
 */
import type { ClientMessage, ServerMessageOf } from '../shared/protocol.js';
import { fetchClassroom } from './class-api.js';
import { button, h } from './dom.js';
import { session } from './storage.js';

/** Banners dismissed in this tab (by class and time), so a reload does not bring them back. */
const DISMISSED_KEY = 'ebpf-lab:dismissed-banner';
/** The button waits this long for the server's answer before it can be pressed again. */
const ANSWER_TIMEOUT_MS = 5000;

export class ClassControls {
  readonly handButton: HTMLButtonElement;
  readonly banner: HTMLElement;
  private readonly bannerText = h('span', { class: 'class-banner-text' });
  private readonly bannerFrom = h('span', { class: 'class-banner-from' });
  private raised = false;
  private answerTimer: number | undefined;
  private shownBanner: string | null = null;

  constructor(
    private readonly send: (message: ClientMessage) => boolean,
    private readonly lessonId: string,
    /** Says something in the page's status line (the hand could not change). */
    private readonly say: (text: string) => void,
  ) {
    this.handButton = button('Raise hand', () => this.toggle(), {
      class: 'hand-button',
      title: 'Ask your instructor for help: they see your raised hand on their dashboard',
      hidden: true,
    });
    this.banner = h(
      'div',
      { class: 'class-banner', role: 'status', 'aria-live': 'polite', hidden: true },
      h('span', { class: 'class-banner-icon', 'aria-hidden': 'true' }),
      h('div', { class: 'class-banner-body' }, this.bannerFrom, this.bannerText),
      button('Dismiss', () => this.dismiss(), {
        class: 'small',
        'aria-label': 'Dismiss the message',
      }),
    );
  }

  /** Asks the server whether the learner is in a class, and shows what applies. */
  async load(): Promise<void> {
    let classroom: Awaited<ReturnType<typeof fetchClassroom>>;
    try {
      classroom = await fetchClassroom();
    } catch {
      return; // not in a class as far as this page can tell: nothing to show
    }
    if (classroom.classes.length === 0) return;
    this.handButton.hidden = false;
    this.setRaised(classroom.handRaised);
    const latest = classroom.classes
      .flatMap((c) => (c.banner ? [{ ...c.banner, classId: c.id, className: c.name }] : []))
      .sort((a, b) => b.at - a.at)[0];
    if (latest) this.showBanner(latest);
  }

  hand(message: ServerMessageOf<'hand'>): void {
    this.answered();
    if (message.refused) {
      this.say(message.refused);
      this.setRaised(false);
      return;
    }
    this.handButton.hidden = false;
    this.setRaised(message.raised);
    if (!message.raised && message.by === 'instructor') {
      this.say('Your instructor lowered your hand.');
    }
  }

  showBanner(
    message: Pick<ServerMessageOf<'banner'>, 'classId' | 'className' | 'text' | 'at'>,
  ): void {
    const key = `${message.classId}:${message.at}`;
    if (session.get(DISMISSED_KEY) === key) return;
    this.shownBanner = key;
    this.bannerFrom.textContent = `From your instructor (${message.className}):`;
    this.bannerText.textContent = message.text;
    this.banner.hidden = false;
  }

  private dismiss(): void {
    if (this.shownBanner) session.set(DISMISSED_KEY, this.shownBanner);
    this.banner.hidden = true;
  }

  private toggle(): void {
    const message: ClientMessage = this.raised
      ? { type: 'lower-hand' }
      : { type: 'raise-hand', lessonId: this.lessonId };
    if (!this.send(message)) {
      this.say('Not connected to the lab server: try again once it is back.');
      return;
    }
    // Until the server answers with the hand's new state (every tab of the learner gets it).
    this.handButton.disabled = true;
    this.answerTimer = window.setTimeout(() => this.answered(), ANSWER_TIMEOUT_MS);
  }

  /** The server answered, or the connection dropped: the button works again. */
  answered(): void {
    window.clearTimeout(this.answerTimer);
    this.handButton.disabled = false;
  }

  private setRaised(raised: boolean): void {
    this.raised = raised;
    this.handButton.textContent = raised ? 'Lower hand' : 'Raise hand';
    this.handButton.classList.toggle('raised', raised);
  }
}
