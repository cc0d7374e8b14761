import { describe, expect, it } from 'vitest';
import { processCpuSeconds } from './process-cpu.js';

describe('processCpuSeconds', () => {
  it("counts this process's CPU time, and it grows while the process works", () => {
    const before = processCpuSeconds(process.pid);
    expect(before).toBeGreaterThan(0);
    // Spin until 100 ms of CPU (ten 10 ms ticks) are counted: on a busy machine that takes
    // longer than 100 ms of wall time, so the bound is time, not the CPU this process gets.
    const giveUp = performance.now() + 10_000;
    let used = 0;
    while (used < 0.1 - 1e-9 && performance.now() < giveUp) {
      used = processCpuSeconds(process.pid) - before;
    }
    expect(used).toBeGreaterThanOrEqual(0.1 - 1e-9);
  });

  it('throws for a process that does not exist', () => {
    expect(() => processCpuSeconds(2 ** 22 + 1)).toThrow(/ENOENT/);
  });
});
