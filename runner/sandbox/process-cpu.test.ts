import { describe, expect, it } from 'vitest';
import { processCpuSeconds } from './process-cpu.js';

describe('processCpuSeconds', () => {
  it("counts this process's CPU time, and it grows while the process works", () => {
    const before = processCpuSeconds(process.pid);
    const until = performance.now() + 300;
    let spins = 0;
    while (performance.now() < until) spins++;
    expect(spins).toBeGreaterThan(0);
    const after = processCpuSeconds(process.pid);
    expect(before).toBeGreaterThan(0);
    // 300 ms of spinning, counted in 10 ms ticks (less when the machine is busy elsewhere).
    expect(after - before).toBeGreaterThanOrEqual(0.1);
  });

  it('throws for a process that does not exist', () => {
    expect(() => processCpuSeconds(2 ** 22 + 1)).toThrow(/ENOENT/);
  });
});
