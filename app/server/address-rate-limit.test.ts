import { describe, expect, it } from 'vitest';
import { AddressRateLimit } from './address-rate-limit.js';

describe('attempts per address', () => {
  it('allows a burst, then one per refill period, saying how long to wait', () => {
    let now = 0;
    const limit = new AddressRateLimit({ burst: 3, refillEveryMs: 1000 }, 100, () => now);
    for (let i = 0; i < 3; i++) expect(limit.take('a').ok).toBe(true);
    expect(limit.take('a')).toEqual({ ok: false, retryAfterMs: 1000 });
    now = 400;
    expect(limit.take('a')).toEqual({ ok: false, retryAfterMs: 600 });
    now = 1000;
    expect(limit.take('a').ok).toBe(true);
    expect(limit.take('a').ok).toBe(false);
  });

  it('keeps addresses apart, and check() uses nothing', () => {
    const limit = new AddressRateLimit({ burst: 1, refillEveryMs: 60_000 });
    expect(limit.check('a').ok).toBe(true);
    expect(limit.take('a').ok).toBe(true);
    expect(limit.check('a').ok).toBe(false);
    expect(limit.take('b').ok).toBe(true);
  });

  it('forgets the address seen longest ago past its bound', () => {
    const limit = new AddressRateLimit({ burst: 1, refillEveryMs: 60_000 }, 2);
    limit.take('a');
    limit.take('b');
    limit.take('a'); // a was seen last: b goes first
    limit.take('c');
    expect(limit.check('a').ok).toBe(false);
    expect(limit.check('b').ok).toBe(true);
  });
});
