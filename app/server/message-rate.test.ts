import { describe, expect, it } from 'vitest';
import { MessageRate } from './message-rate.js';

describe('MessageRate', () => {
  it('lets a burst through, then the sustained rate', () => {
    let now = 0;
    const rate = new MessageRate({ perSecond: 10, burst: 5 }, () => now);
    const taken = Array.from({ length: 8 }, () => rate.take());
    expect(taken).toEqual([true, true, true, true, true, false, false, false]);
    now += 100; // one token back
    expect(rate.take()).toBe(true);
    expect(rate.take()).toBe(false);
  });

  it('refills no further than the burst after a long pause', () => {
    let now = 0;
    const rate = new MessageRate({ perSecond: 100, burst: 3 }, () => now);
    now += 60_000;
    expect([rate.take(), rate.take(), rate.take(), rate.take()]).toEqual([true, true, true, false]);
  });
});
