import { describe, expect, it } from 'vitest';
import { cpuPercent, parseMemInfo, parseProcStat } from './host-load.js';

describe('parseProcStat', () => {
  it('reads the machine-wide line: busy is user, nice, system, irq and softirq', () => {
    const stat = 'cpu  100 5 20 800 10 3 2 60 0 0\ncpu0 50 2 10 400 5 1 1 30 0 0\nintr 1 2\n';
    expect(parseProcStat(stat)).toEqual({ busy: 130, total: 1000 });
  });
  it('says so when the line is missing', () => {
    expect(() => parseProcStat('intr 1 2\n')).toThrow(/cpu/);
  });
});

describe('cpuPercent', () => {
  it('is the busy share of every tick between two readings', () => {
    expect(cpuPercent({ busy: 100, total: 1000 }, { busy: 400, total: 2000 })).toBe(30);
  });
  it('is NaN when no time passed', () => {
    expect(cpuPercent({ busy: 1, total: 5 }, { busy: 1, total: 5 })).toBeNaN();
  });
});

describe('parseMemInfo', () => {
  it('used is MemTotal - MemAvailable, in MB', () => {
    const info = 'MemTotal:       4194304 kB\nMemFree:  100 kB\nMemAvailable:   3145728 kB\n';
    expect(parseMemInfo(info)).toEqual({ totalMb: 4096, usedMb: 1024 });
  });
  it('says which field is missing', () => {
    expect(() => parseMemInfo('MemTotal: 10 kB\n')).toThrow(/MemAvailable/);
  });
});
