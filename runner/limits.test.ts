import { describe, expect, it } from 'vitest';
import {
  checkSourceSize,
  formatLimitValue,
  LIMITS,
  type LimitName,
  limitMessage,
  runLimits,
} from './limits.js';
import { RunLimits } from './protocol/messages.js';

const KIB = 1024;

describe('LIMITS', () => {
  it('is frozen', () => {
    expect(Object.isFrozen(LIMITS)).toBe(true);
    expect(() => {
      (LIMITS as unknown as Record<string, unknown>).sourceBytes = { value: 1 };
    }).toThrow(TypeError);
    expect(LIMITS.sourceBytes.value).toBe(64 * KIB);
  });

  it('holds positive integer values', () => {
    for (const [name, limit] of Object.entries(LIMITS)) {
      expect(Number.isInteger(limit.value), name).toBe(true);
      expect(limit.value, name).toBeGreaterThan(0);
      expect(limit.what.length, name).toBeGreaterThan(0);
    }
  });
});

describe('formatLimitValue', () => {
  it.each<[number, string]>([
    [0, '0 bytes'],
    [1, '1 bytes'],
    [1023, '1023 bytes'],
    [1024, '1 KiB'],
    [1025, '1025 bytes'],
    [64 * KIB, '64 KiB'],
    [64 * KIB + 1, '65537 bytes'],
    [1536, '1536 bytes'],
    [1024 * KIB, '1 MiB'],
    [2 * 1024 * KIB, '2 MiB'],
    [1024 * KIB + KIB, '1025 KiB'],
  ])('formats %d bytes as %s', (value, expected) => {
    expect(formatLimitValue(value, 'bytes')).toBe(expected);
  });

  it.each<[number, string]>([
    [1000, '1 s'],
    [60_000, '1 min'],
    [90_000, '90 s'],
    [120_000, '2 min'],
    [1500, '1500 ms'],
    [999, '999 ms'],
    [0, '0 s'],
  ])('formats %d ms as %s', (value, expected) => {
    expect(formatLimitValue(value, 'ms')).toBe(expected);
  });

  it('appends other units verbatim', () => {
    expect(formatLimitValue(20_000, 'lines')).toBe('20000 lines');
    expect(formatLimitValue(2000, 'lines/s')).toBe('2000 lines/s');
    expect(formatLimitValue(1024, 'MiB')).toBe('1024 MiB');
    expect(formatLimitValue(3, 'sandboxes')).toBe('3 sandboxes');
  });
});

describe('limitMessage', () => {
  it('names the source size limit and its value', () => {
    const message = limitMessage('sourceBytes');
    expect(message).toContain('64 KiB');
    expect(message).toContain('sourceBytes');
    expect(message).toBe('Probe source size limit reached: 64 KiB (sourceBytes).');
  });

  it('names the trace line limit as documented', () => {
    expect(limitMessage('maxTraceLines')).toBe(
      'Trace output per run limit reached: 20000 lines (maxTraceLines).',
    );
  });

  it('formats time limits in whole minutes, else seconds', () => {
    const message = limitMessage('maxRunMs');
    expect(message).toContain('10 min');
    expect(limitMessage('maxRunMs', 90_000)).toContain('90 s');
    expect(message).toContain('maxRunMs');
  });

  it('uses an explicit value instead of the default', () => {
    const message = limitMessage('execTimeoutMs', 2500);
    expect(message).toContain('2500 ms');
    expect(message).toContain('(execTimeoutMs)');
    expect(message).not.toContain('60 s');
  });

  it('names every limit with its formatted default value and a capitalised description', () => {
    for (const name of Object.keys(LIMITS) as LimitName[]) {
      const limit = LIMITS[name];
      const message = limitMessage(name);
      expect(message).toContain(`(${name})`);
      expect(message).toContain(formatLimitValue(limit.value, limit.unit));
      expect(message.charAt(0)).toBe(limit.what.charAt(0).toUpperCase());
      expect(message.toLowerCase()).toContain(limit.what.toLowerCase());
    }
  });
});

describe('runLimits', () => {
  it('defaults to the values in LIMITS', () => {
    expect(runLimits()).toEqual({
      maxRunMs: LIMITS.maxRunMs.value,
      compileTimeoutMs: LIMITS.compileTimeoutMs.value,
      maxTraceLines: LIMITS.maxTraceLines.value,
      maxTraceLinesPerSecond: LIMITS.maxTraceLinesPerSecond.value,
      maxTraceLineBytes: LIMITS.maxTraceLineBytes.value,
      maxMapEntries: LIMITS.maxMapEntries.value,
    });
  });

  it('produces limits the protocol schema accepts', () => {
    expect(RunLimits.safeParse(runLimits()).success).toBe(true);
  });

  it('applies overrides and keeps the other defaults', () => {
    const limits = runLimits({ maxRunMs: 5000, maxTraceLines: 10 });
    expect(limits.maxRunMs).toBe(5000);
    expect(limits.maxTraceLines).toBe(10);
    expect(limits.compileTimeoutMs).toBe(LIMITS.compileTimeoutMs.value);
    expect(limits.maxTraceLinesPerSecond).toBe(LIMITS.maxTraceLinesPerSecond.value);
    expect(limits.maxTraceLineBytes).toBe(LIMITS.maxTraceLineBytes.value);
  });

  it('returns a fresh object each time', () => {
    const first = runLimits();
    first.maxRunMs = 1;
    expect(runLimits().maxRunMs).toBe(LIMITS.maxRunMs.value);
  });
});

describe('checkSourceSize', () => {
  it('accepts an empty source', () => {
    expect(checkSourceSize('')).toBeUndefined();
  });

  it('accepts exactly 64 KiB', () => {
    expect(checkSourceSize('a'.repeat(64 * KIB))).toBeUndefined();
  });

  it('rejects 64 KiB + 1 with the limit and the actual size', () => {
    const message = checkSourceSize('a'.repeat(64 * KIB + 1));
    expect(message).toBeDefined();
    expect(message).toContain(limitMessage('sourceBytes'));
    expect(message).toContain('65537 bytes');
  });

  it('reports a larger source in KiB when it is a whole number of KiB', () => {
    expect(checkSourceSize('a'.repeat(100 * KIB))).toContain('The source is 100 KiB.');
  });

  it('counts multi-byte characters in bytes, not characters', () => {
    // 'é' is 2 bytes in UTF-8: 32 Ki characters are exactly 64 KiB.
    expect(checkSourceSize('é'.repeat(32 * KIB))).toBeUndefined();
    // One more ASCII byte tips it over, though it is only 32 Ki + 1 characters.
    const message = checkSourceSize(`${'é'.repeat(32 * KIB)}a`);
    expect(message).toContain('65537 bytes');
  });

  it('counts 4-byte characters (surrogate pairs) as 4 bytes', () => {
    // '🐝' is 2 UTF-16 units but 4 UTF-8 bytes: 16 Ki of them are 64 KiB.
    expect(checkSourceSize('🐝'.repeat(16 * KIB))).toBeUndefined();
    expect(checkSourceSize(`${'🐝'.repeat(16 * KIB)}!`)).toContain('65537 bytes');
    // 20 000 bees are 80 000 bytes though only 40 000 UTF-16 units.
    expect(checkSourceSize('🐝'.repeat(20_000))).toContain('80000 bytes');
  });
});
