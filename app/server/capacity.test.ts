import { describe, expect, it } from 'vitest';
import { defaultCapacity, sandboxMemoryMiB } from './capacity.js';

describe('defaultCapacity', () => {
  it('gives 8 learners per core under software emulation (16 on this 2-core, 24 GiB machine)', () => {
    expect(defaultCapacity({ cores: 2, memoryMiB: 24 * 1024, accel: 'tcg' })).toMatchObject({
      slots: 16,
      limitedBy: 'cpu',
    });
  });

  it('with KVM, counts cores until memory runs out (first, on a laptop)', () => {
    const laptop = defaultCapacity({ cores: 8, memoryMiB: 16 * 1024, accel: 'kvm' });
    expect(laptop.limitedBy).toBe('memory');
    expect(laptop.slots).toBe(Math.floor((16 * 1024 - 1024) / sandboxMemoryMiB('kvm')));
    expect(laptop.reason).toMatch(/16 GiB of memory/);
    expect(defaultCapacity({ cores: 4, memoryMiB: 256 * 1024, accel: 'kvm' })).toMatchObject({
      slots: 32,
      limitedBy: 'cpu',
    });
  });

  it('counts the translation cache only under emulation', () => {
    expect(sandboxMemoryMiB('tcg') - sandboxMemoryMiB('kvm')).toBe(256);
  });

  it('always leaves one sandbox, however small the machine', () => {
    expect(defaultCapacity({ cores: 1, memoryMiB: 1024, accel: 'tcg' }).slots).toBe(1);
  });
});
