import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ordinal, SandboxSlots, type Slot, type SlotHolder } from './sandbox-slots.js';

const POLICY = { unusedGraceMs: 60_000, idleReclaimMs: 300_000, checkEveryMs: 1_000 };

/** A holder whose idleness the test sets; reclaiming it releases its slot, as a session does. */
interface TestHolder extends SlotHolder {
  idle: number;
  acted: boolean;
  slot: Slot | undefined;
  reclaimed: string[];
}

function holder(idleMs: number, acted: boolean): TestHolder {
  const h: TestHolder = {
    idle: idleMs,
    acted,
    slot: undefined as Slot | undefined,
    reclaimed: [] as string[],
    idleForMs: () => h.idle,
    hasActed: () => h.acted,
    reclaim: (reason: string) => {
      h.reclaimed.push(reason);
      h.slot?.release();
    },
  };
  return h;
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('SandboxSlots', () => {
  it('grants at once below capacity, then queues with places, first come first served', async () => {
    const slots = new SandboxSlots(2, POLICY);
    const [a, b, c, d] = [holder(0, true), holder(0, true), holder(0, true), holder(0, true)];
    a.slot = await slots.acquire(a);
    b.slot = await slots.acquire(b);
    const places: Record<string, number[]> = { c: [], d: [] };
    const cSlot = slots.acquire(c, (place) => places.c?.push(place));
    const dSlot = slots.acquire(d, (place) => places.d?.push(place));
    expect(places).toEqual({ c: [1], d: [2] });
    expect(slots.waiting).toBe(2);
    expect([a, c, d].map((h) => slots.placeOf(h))).toEqual([undefined, 1, 2]);
    a.slot.release();
    c.slot = await cSlot;
    expect(places.d).toEqual([2, 1]);
    expect(slots.placeOf(d)).toBe(1);
    a.slot.release(); // twice is harmless
    expect(slots.inUse).toBe(2);
    b.slot.release();
    d.slot = await dSlot;
    expect(slots.waiting).toBe(0);
  });

  it('reclaims a never-used slot after its grace, before an idle one, never an active one', async () => {
    const slots = new SandboxSlots(3, POLICY);
    const active = holder(1_000, true);
    const idle = holder(400_000, true);
    const unused = holder(90_000, false);
    for (const h of [active, idle, unused]) h.slot = await slots.acquire(h);
    const first = holder(0, true);
    const second = holder(0, true);
    const third = holder(0, true);
    const firstSlot = slots.acquire(first);
    await firstSlot;
    expect(unused.reclaimed[0]).toContain('had not been used yet');
    expect(idle.reclaimed).toEqual([]);
    const secondSlot = slots.acquire(second);
    await vi.advanceTimersByTimeAsync(1_000);
    await secondSlot;
    expect(idle.reclaimed[0]).toContain('after 6 min without activity');
    const thirdSlot = slots.acquire(third);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(active.reclaimed).toEqual([]);
    expect(slots.waiting).toBe(1);
    slots.close();
    await expect(thirdSlot).rejects.toThrow('shutting down');
  });

  it('a waiter that gives up leaves the line and the others move up', async () => {
    const slots = new SandboxSlots(1, POLICY);
    const a = holder(0, true);
    a.slot = await slots.acquire(a);
    const quitter = new AbortController();
    const gaveUp = slots.acquire(holder(0, true), () => {}, quitter.signal);
    const places: number[] = [];
    const stays = slots.acquire(holder(0, true), (place) => places.push(place));
    quitter.abort();
    await expect(gaveUp).rejects.toThrow('no longer waiting');
    expect(places).toEqual([2, 1]);
    a.slot.release();
    await stays;
  });
});

describe('ordinal', () => {
  it('names places in line', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '23rd',
      '101st',
    ]);
  });
});
