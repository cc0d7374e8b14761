/**
 * The instructor's latest broadcast per class, kept in memory for a while so that a learner
 * who opens the lab (or reloads) soon after still sees it; the broadcast itself goes to the
 * open tabs at once. Not in the database: a banner is of the moment, and a restart ends it.
 */
import type { Banner } from '../../shared/classroom-api.js';

/** How long after it was sent a banner still greets a tab that opens. */
export const BANNER_SHOWN_MS = 10 * 60_000;

export class Banners {
  private readonly latest = new Map<number, Banner>();

  constructor(private readonly now: () => number = Date.now) {}

  set(classId: number, text: string): Banner {
    const banner = { text, at: this.now() };
    this.latest.set(classId, banner);
    return banner;
  }

  /** The class's latest banner, while it is recent. */
  current(classId: number): Banner | null {
    const banner = this.latest.get(classId);
    if (!banner) return null;
    if (this.now() - banner.at > BANNER_SHOWN_MS) {
      this.latest.delete(classId);
      return null;
    }
    return banner;
  }
}
