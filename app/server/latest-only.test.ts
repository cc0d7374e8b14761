import { describe, expect, it } from 'vitest';
import { LatestOnly } from './latest-only.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('LatestOnly', () => {
  it('runs one job at a time and collapses the waiting ones to the newest', async () => {
    const started: number[] = [];
    const gaveUp: number[] = [];
    let release: () => void = () => {};
    const queue = new LatestOnly<number>(
      async (n, superseded) => {
        started.push(n);
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        if (superseded()) gaveUp.push(n);
      },
      () => {},
    );
    queue.submit(1);
    for (let n = 2; n <= 200; n++) queue.submit(n);
    await tick();
    expect(started).toEqual([1]);
    release();
    await tick();
    expect(started).toEqual([1, 200]);
    expect(gaveUp).toEqual([1]);
    release();
    await tick();
    expect(queue.idle).toBe(true);
  });

  it('drops a waiting job on request, and keeps going after a job that throws', async () => {
    const done: number[] = [];
    const errors: unknown[] = [];
    let release: () => void = () => {};
    const queue = new LatestOnly<number>(
      async (n) => {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        if (n === 1) throw new Error('boom');
        done.push(n);
      },
      (error) => errors.push(error),
    );
    queue.submit(1);
    queue.submit(2);
    queue.dropWaiting();
    release();
    await tick();
    expect(queue.idle).toBe(true);
    expect(errors).toHaveLength(1);
    queue.submit(3);
    await tick();
    release();
    await tick();
    expect(done).toEqual([3]);
  });
});
