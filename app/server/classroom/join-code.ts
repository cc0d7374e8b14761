/**
 * Class join codes: six characters a learner reads off a projector and types, so none of them
 * looks like another (no 0/O, no 1/I/L), drawn with the operating system's cryptographic
 * random numbers, so a code cannot be predicted from the ones before it.
 *
 * Entropy: 31 symbols, 6 positions: 31^6 ≈ 8.9 × 10^8 codes, log2 ≈ 29.7 bits. Guessing is
 * also slowed where codes are checked (attempts per address are rate-limited) and a closed
 * class refuses its code, so a brute force over the network is not worth trying; uniqueness
 * among the server's classes is the database's (a UNIQUE column; the caller draws again on a
 * clash).
 */
import { randomInt } from 'node:crypto';

/** A–Z without I, L, O; 2–9 (0 and 1 are left out with O, I and L). */
export const JOIN_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const JOIN_CODE_LENGTH = 6;

/** `randomBelow(n)`: a uniform integer in [0, n); crypto's by default, tests pass their own. */
export function newJoinCode(randomBelow: (n: number) => number = randomInt): string {
  let code = '';
  for (let i = 0; i < JOIN_CODE_LENGTH; i++) {
    const symbol = JOIN_CODE_ALPHABET[randomBelow(JOIN_CODE_ALPHABET.length)];
    if (symbol === undefined) throw new RangeError('randomBelow returned a value out of range');
    code += symbol;
  }
  return code;
}

/**
 * What a learner typed, as a code to look up: case, spaces and dashes do not matter ("abc-def"
 * finds ABCDEF). Undefined when it cannot be a join code, so no lookup is spent on it.
 */
export function normalizeJoinCode(typed: string): string | undefined {
  const stripped = typed.replace(/[\s-]/g, '');
  // ASCII only, checked before upper-casing: 'ß'.toUpperCase() is 'SS'.
  if (!/^[A-Za-z0-9]+$/.test(stripped) || stripped.length !== JOIN_CODE_LENGTH) return undefined;
  const code = stripped.toUpperCase();
  for (const symbol of code) if (!JOIN_CODE_ALPHABET.includes(symbol)) return undefined;
  return code;
}
