import { describe, expect, it } from 'vitest';
import {
  JOIN_CODE_ALPHABET,
  JOIN_CODE_LENGTH,
  newJoinCode,
  normalizeJoinCode,
} from './join-code.js';

describe('join codes', () => {
  it('are six characters with no look-alikes', () => {
    expect(JOIN_CODE_LENGTH).toBe(6);
    for (const lookalike of '0O1IL') expect(JOIN_CODE_ALPHABET).not.toContain(lookalike);
    expect(new Set(JOIN_CODE_ALPHABET).size).toBe(JOIN_CODE_ALPHABET.length);
    for (let i = 0; i < 200; i++) expect(newJoinCode()).toMatch(/^[A-HJKMNP-Z2-9]{6}$/);
  });

  it('carry about 29.7 bits of entropy', () => {
    const bits = JOIN_CODE_LENGTH * Math.log2(JOIN_CODE_ALPHABET.length);
    expect(bits).toBeCloseTo(29.7, 1);
  });

  it('use every symbol, uniformly', () => {
    // 6,000 codes, 36,000 symbols: each of the 31 about 1,161 times. Bounds of ±25% fail by
    // chance far less often than once in a billion runs.
    const counts = new Map<string, number>();
    for (let i = 0; i < 6_000; i++) {
      for (const symbol of newJoinCode()) counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
    }
    expect(counts.size).toBe(JOIN_CODE_ALPHABET.length);
    const expected = (6_000 * JOIN_CODE_LENGTH) / JOIN_CODE_ALPHABET.length;
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(expected * 0.75);
      expect(count).toBeLessThan(expected * 1.25);
    }
  });

  it('are drawn from the random source given', () => {
    expect(newJoinCode(() => 0)).toBe('AAAAAA');
    expect(newJoinCode((n) => n - 1)).toBe('999999');
    expect(() => newJoinCode((n) => n)).toThrow(RangeError);
  });

  it('are found whatever the case, spaces or dashes a learner types', () => {
    expect(normalizeJoinCode('abc-def')).toBe('ABCDEF');
    expect(normalizeJoinCode(' K7M 2QX ')).toBe('K7M2QX');
    expect(normalizeJoinCode('ABCDE')).toBeUndefined();
    expect(normalizeJoinCode('ABCDEFG')).toBeUndefined();
    expect(normalizeJoinCode('ABCDE0')).toBeUndefined();
    expect(normalizeJoinCode('ABCDÉF')).toBeUndefined();
    expect(normalizeJoinCode('ABCDß')).toBeUndefined();
    expect(normalizeJoinCode("' OR 1")).toBeUndefined();
  });
});
