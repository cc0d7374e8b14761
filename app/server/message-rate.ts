/**
 * Per-tab message rate: a token bucket refilled at `perSecond` up to `burst`. Each frame costs
 * one token before it is even parsed, so a tab sending ten thousand frames a second costs the
 * server a counter increment each, not a JSON parse and a session call.
 */

export interface RateLimits {
  perSecond: number;
  burst: number;
}

export class MessageRate {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limits: RateLimits,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = limits.burst;
    this.last = this.now();
  }

  /** Takes one token; false when the tab is over its rate. */
  take(): boolean {
    const now = this.now();
    const refill = ((now - this.last) / 1000) * this.limits.perSecond;
    this.tokens = Math.min(this.limits.burst, this.tokens + refill);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
