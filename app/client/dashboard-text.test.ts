import { describe, expect, it } from 'vitest';
import {
  activityText,
  ago,
  firstLine,
  ordinal,
  progressPercent,
  sandboxText,
} from './dashboard-text.js';

describe('the dashboard words', () => {
  it('counts places in line as people say them', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 103, 111].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '103rd',
      '111th',
    ]);
  });

  it('says what a learner does and where their sandbox is', () => {
    expect(activityText({ state: 'idle', idleMinutes: 7, sandbox: 'none' })).toBe('idle 7 min');
    expect(activityText({ state: 'running', sandbox: 'running' })).toBe('running a probe');
    expect(sandboxText({ state: 'editing', sandbox: 'queued', queuePlace: 3 })).toBe(
      'waiting, 3rd in line',
    );
    expect(sandboxText({ state: 'editing', sandbox: 'queued' })).toBe('waiting for a sandbox');
  });

  it('tells time roughly, and never in the future', () => {
    expect(ago(1000, 1000 + 59_000)).toBe('just now');
    expect(ago(0, 4 * 60_000 + 1)).toBe('4 min ago');
    expect(ago(0, 125 * 60_000)).toBe('2 h ago');
    expect(ago(5000, 1000)).toBe('just now');
  });

  it('fills the progress bar within 0–100, a class without lessons included', () => {
    expect(progressPercent({ lessonsDone: 1, lessonsTotal: 3 })).toBe(33);
    expect(progressPercent({ lessonsDone: 5, lessonsTotal: 3 })).toBe(100);
    expect(progressPercent({ lessonsDone: 0, lessonsTotal: 0 })).toBe(0);
  });

  it("keeps an error's first line, shortened", () => {
    expect(firstLine('R1 invalid mem access\nmore')).toBe('R1 invalid mem access');
    expect(firstLine('x'.repeat(200), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
