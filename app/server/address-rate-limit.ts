/**
 * Attempts per client address (joining a class, resuming, signing in as instructor): a token
 * bucket per address, `burst` attempts at once, one more every `refillEveryMs`. Guessing a
 * join code or a secret over the network then takes longer than anyone will try, while a room
 * of learners behind one school router still joins in one go.
 *
 * Memory is bounded: past `maxAddresses`, the address not seen for longest is forgotten (an
 * attacker with that many addresses is not slowed by a per-address limit anyway).
 */

export interface RateLimitPolicy {
  burst: number;
  refillEveryMs: number;
}

export type RateVerdict = { ok: true } | { ok: false; retryAfterMs: number };

const DEFAULT_MAX_ADDRESSES = 10_000;

export class AddressRateLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly policy: RateLimitPolicy,
    private readonly maxAddresses = DEFAULT_MAX_ADDRESSES,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether `address` has an attempt left, without using it. */
  check(address: string): RateVerdict {
    return this.verdict(this.refilled(address));
  }

  /** Uses one of `address`'s attempts; refused (and nothing used) when none is left. */
  take(address: string): RateVerdict {
    const bucket = this.refilled(address);
    const verdict = this.verdict(bucket);
    if (verdict.ok) bucket.tokens -= 1;
    return verdict;
  }

  private verdict(bucket: { tokens: number }): RateVerdict {
    if (bucket.tokens >= 1) return { ok: true };
    return { ok: false, retryAfterMs: Math.ceil((1 - bucket.tokens) * this.policy.refillEveryMs) };
  }

  private refilled(address: string): { tokens: number; at: number } {
    const now = this.now();
    let bucket = this.buckets.get(address);
    if (bucket) {
      this.buckets.delete(address); // re-inserted below: the Map's order is last seen
      bucket.tokens = Math.min(
        this.policy.burst,
        bucket.tokens + (now - bucket.at) / this.policy.refillEveryMs,
      );
      bucket.at = now;
    } else {
      bucket = { tokens: this.policy.burst, at: now };
      if (this.buckets.size >= this.maxAddresses) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    }
    this.buckets.set(address, bucket);
    return bucket;
  }
}
