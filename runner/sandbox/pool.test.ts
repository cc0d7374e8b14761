import { describe, expect, it } from 'vitest';
import { SandboxPool } from './pool.js';
import type { Sandbox, SandboxDriver } from './sandbox.js';

/** A driver that only counts the starts asked of it (they never finish). */
function countingDriver(sharesKernel: boolean): SandboxDriver & { starts: number } {
  const driver = {
    name: 'counting',
    sharesKernel,
    starts: 0,
    start: () => {
      driver.starts++;
      return new Promise<Sandbox>(() => {});
    },
  };
  return driver;
}

describe('the warm pool', () => {
  it('starts sandboxes ahead of need', () => {
    const driver = countingDriver(false);
    new SandboxPool(driver, 2).fill();
    expect(driver.starts).toBe(2);
  });

  it('starts none ahead for a driver whose sandboxes share one kernel (and its trace_pipe)', () => {
    const driver = countingDriver(true);
    new SandboxPool(driver, 2).fill();
    expect(driver.starts).toBe(0);
  });
});
