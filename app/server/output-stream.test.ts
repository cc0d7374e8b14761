import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FlowLimits, OutputStream } from './output-stream.js';

const LIMITS: FlowLimits = { batchMs: 10, highWater: 100, lowWater: 20, queueCap: 250 };

function makeStream() {
  const sent: string[] = [];
  const truncated: number[] = [];
  const stream = new OutputStream(
    { data: (text) => sent.push(text), truncated: (bytes) => truncated.push(bytes) },
    LIMITS,
  );
  return { stream, sent, truncated };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('OutputStream', () => {
  it('batches writes within the batch window into one frame', () => {
    const { stream, sent } = makeStream();
    stream.write('a');
    stream.write('b');
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(10);
    expect(sent).toEqual(['ab']);
  });

  it('holds output above the high-water mark until the tab acknowledges', () => {
    const { stream, sent } = makeStream();
    stream.write('x'.repeat(150));
    vi.advanceTimersByTime(10);
    stream.write('y'.repeat(10));
    vi.advanceTimersByTime(10);
    expect(sent).toEqual(['x'.repeat(150)]);
    stream.ack(100); // 50 in flight: still above low water
    expect(sent).toHaveLength(1);
    stream.ack(40);
    expect(sent).toEqual(['x'.repeat(150), 'y'.repeat(10)]);
  });

  it('drops output past the queue cap and reports it once the tab catches up', () => {
    const { stream, sent, truncated } = makeStream();
    stream.write('a'.repeat(101));
    vi.advanceTimersByTime(10);
    for (let i = 0; i < 5; i++) {
      stream.write('b'.repeat(100));
      vi.advanceTimersByTime(10);
    }
    // 2 batches of 100 fit in the 250-byte queue; 3 are dropped.
    expect(truncated).toEqual([]);
    stream.ack(101);
    expect(sent.slice(1)).toEqual(['b'.repeat(100), 'b'.repeat(100)]);
    expect(truncated).toEqual([300]);
    stream.ack(200);
    expect(truncated).toEqual([300]);
    expect(stream.inFlight).toBe(0);
  });

  it('keeps order: new output waits behind queued output', () => {
    const { stream, sent } = makeStream();
    stream.write('1'.repeat(120));
    vi.advanceTimersByTime(10);
    stream.write('2');
    vi.advanceTimersByTime(10);
    stream.ack(120);
    stream.write('3');
    vi.advanceTimersByTime(10);
    expect(sent.join('')).toBe(`${'1'.repeat(120)}23`);
  });
});

describe('OutputStream with a transport backlog', () => {
  it('holds output while the socket is unsent, even when the tab acknowledges it all', () => {
    const sent: string[] = [];
    let backlog = 0;
    const stream = new OutputStream(
      {
        data: (text) => {
          sent.push(text);
          backlog += text.length; // a tab that never reads its socket
        },
        truncated: () => {},
        backlog: () => backlog,
      },
      LIMITS,
    );
    for (let i = 0; i < 50; i++) {
      stream.write('z'.repeat(60));
      vi.advanceTimersByTime(10);
      stream.ack(1_000_000); // a lie: it read nothing
    }
    const sentBytes = sent.reduce((n, text) => n + text.length, 0);
    // At most one frame past the high-water mark reaches the socket; the rest is queued
    // (up to queueCap) or dropped.
    expect(sentBytes).toBeLessThanOrEqual(LIMITS.highWater + 60);
    backlog = 0; // the socket drains
    vi.advanceTimersByTime(60);
    expect(sent.reduce((n, text) => n + text.length, 0)).toBeGreaterThan(sentBytes);
  });
});
