import { describe, expect, it } from 'vitest';
import { ACTIVE_GAP_MS } from './stuck-rule.js';
import { TimeSpent } from './time-spent.js';

const MIN = 60_000;

describe('time spent on lessons', () => {
  it('adds the gaps between actions, up to ACTIVE_GAP_MS; a longer gap is time away', () => {
    const time = new TimeSpent();
    time.active('ada', 'l1', 0);
    time.active('ada', 'l1', 2 * MIN);
    time.active('ada', 'l1', 3 * MIN);
    time.active('ada', 'l1', 3 * MIN + ACTIVE_GAP_MS + 1); // back from a break: not counted
    time.active('ada', 'l2', 4 * MIN + ACTIVE_GAP_MS); // the gap goes to the lesson acted on
    expect(time.takePending(0)).toEqual([
      { learnerId: 'ada', lessonId: 'l1', ms: 3 * MIN, at: 3 * MIN },
      { learnerId: 'ada', lessonId: 'l2', ms: MIN - 1, at: 4 * MIN + ACTIVE_GAP_MS },
    ]);
    expect(time.takePending(0)).toEqual([]);
  });

  it('keeps thinned-out moments of activity per lesson, the latest included', () => {
    const time = new TimeSpent();
    for (let s = 0; s <= 60; s += 5) time.active('ada', 'l1', s * 1000);
    expect(time.samplesOf('ada', 'l1')).toEqual([0, 20_000, 40_000, 60_000]);
    time.active('ada', 'l1', 65_000);
    expect(time.samplesOf('ada', 'l1')).toEqual([0, 20_000, 40_000, 60_000, 65_000]);
    expect(time.samplesOf('bob', 'l1')).toEqual([]);
  });

  it('forgets learners long gone', () => {
    const time = new TimeSpent();
    time.active('ada', 'l1', 0);
    time.takePending(60 * MIN);
    expect(time.samplesOf('ada', 'l1')).toEqual([]);
  });
});
