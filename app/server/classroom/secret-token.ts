/**
 * Secrets handed to one person (the instructor link, a learner's resume link, a session
 * cookie): 256 random bits, written in base64url so they travel in a URL fragment or a cookie
 * as they are, and kept at rest only as their SHA-256, so a copy of the database does not
 * sign anyone in. A secret this long needs no salt or slow hash: nobody can guess its way to a
 * preimage.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const SECRET_BYTES = 32;
/** base64url of SECRET_BYTES bytes, without padding. */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** Whether `text` has the shape of a secret: anything else is refused before any lookup. */
export function looksLikeSecret(text: unknown): text is string {
  return typeof text === 'string' && SECRET_PATTERN.test(text);
}

/** SHA-256 of the secret, in hex: what the database keeps. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares two hex hashes in constant time (lengths are public: both are SHA-256). */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
