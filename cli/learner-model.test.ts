import { describe, expect, it } from 'vitest';
import {
  ARRIVAL_WINDOW_MS,
  arrivalMs,
  editMark,
  GREETING,
  learnerRandom,
  learnerSource,
  seededRandom,
  THINK_MAX_MS,
  THINK_MIN_MS,
  thinkMs,
} from './learner-model.js';

describe('arrivals', () => {
  it('spread the learners evenly over the arrival window, the first at once', () => {
    expect([0, 1, 2, 3].map((i) => arrivalMs(i, 4))).toEqual([0, 7500, 15000, 22500]);
    expect(arrivalMs(0, 1)).toBe(0);
  });
  it('all fall inside the window, however many learners', () => {
    for (const n of [1, 2, 16, 100]) {
      for (let i = 0; i < n; i++) expect(arrivalMs(i, n)).toBeLessThan(ARRIVAL_WINDOW_MS);
    }
  });
});

describe('thinking', () => {
  it('lasts 30 to 60 s', () => {
    const random = seededRandom(1);
    for (let i = 0; i < 1000; i++) {
      const ms = thinkMs(random);
      expect(ms).toBeGreaterThanOrEqual(THINK_MIN_MS);
      expect(ms).toBeLessThanOrEqual(THINK_MAX_MS);
    }
  });
  it('is the same for the same seed, and differs between learners and seeds', () => {
    const draws = (random: () => number) => Array.from({ length: 5 }, () => thinkMs(random));
    expect(draws(learnerRandom(7, 0))).toEqual(draws(learnerRandom(7, 0)));
    expect(draws(learnerRandom(7, 0))).not.toEqual(draws(learnerRandom(7, 1)));
    expect(draws(learnerRandom(7, 0))).not.toEqual(draws(learnerRandom(8, 0)));
  });
  it('covers the range (not stuck at one end)', () => {
    const random = seededRandom(42);
    const values = Array.from({ length: 2000 }, () => thinkMs(random));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(43_000);
    expect(mean).toBeLessThan(47_000);
  });
});

describe('edits', () => {
  it('every learner writes a new source each cycle, with a mark of its own', () => {
    const sources = new Set<string>();
    for (let learner = 0; learner < 20; learner++) {
      for (let cycle = 1; cycle <= 20; cycle++) {
        const source = learnerSource(learner, cycle);
        expect(source).toContain(`"${GREETING} ${editMark(learner, cycle)}\\n"`);
        sources.add(source);
      }
    }
    expect(sources.size).toBe(400);
  });
  it('no mark is found inside another (edit 1 inside edit 12)', () => {
    const marks = [0, 1, 10].flatMap((l) => [1, 2, 12, 21].map((c) => editMark(l, c)));
    for (const a of marks) for (const b of marks) if (a !== b) expect(b).not.toContain(a);
  });
});
