import { describe, expect, it } from 'vitest';
import {
  ModuleNotFoundError,
  moduleName,
  parseModulesBuiltin,
  parseModulesDep,
  planModules,
} from './kernel-modules.js';

// Shapes of the real files: trixie's cloud kernel (xz modules, virtio core built in) and
// bookworm's (plain .ko, everything a module).
const TRIXIE_DEP = `kernel/drivers/virtio/virtio_mmio.ko.xz:
kernel/drivers/block/virtio_blk.ko.xz:
kernel/fs/overlayfs/overlay.ko.xz:
kernel/drivers/net/virtio_net.ko.xz: kernel/drivers/net/net_failover.ko.xz kernel/net/core/failover.ko.xz
kernel/drivers/net/net_failover.ko.xz: kernel/net/core/failover.ko.xz
kernel/net/core/failover.ko.xz:
`;
const TRIXIE_BUILTIN = `kernel/drivers/virtio/virtio.ko
kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/char/virtio_console.ko
kernel/fs/ext4/ext4.ko
`;
const BOOKWORM_DEP = `kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/fs/overlayfs/overlay.ko:
`;
const WANTED = ['virtio_ring', 'virtio', 'virtio_mmio', 'virtio_blk', 'virtio_console', 'overlay'];

describe('moduleName', () => {
  it.each([
    ['kernel/drivers/block/virtio_blk.ko.xz', 'virtio_blk'],
    ['kernel/drivers/block/virtio_blk.ko', 'virtio_blk'],
    ['kernel/drivers/block/virtio_blk.ko.zst', 'virtio_blk'],
    ['kernel/crypto/crc32c-intel.ko', 'crc32c_intel'],
    ['virtio', 'virtio'],
  ])('%s is %s', (path, name) => expect(moduleName(path)).toBe(name));
});

describe('planModules', () => {
  it('on trixie loads the module files and skips the drivers built into the kernel', () => {
    const plan = planModules(
      WANTED,
      parseModulesDep(TRIXIE_DEP),
      parseModulesBuiltin(TRIXIE_BUILTIN),
      '6.12',
    );
    expect(plan.load).toEqual([
      'kernel/drivers/virtio/virtio_mmio.ko.xz',
      'kernel/drivers/block/virtio_blk.ko.xz',
      'kernel/fs/overlayfs/overlay.ko.xz',
    ]);
    expect(plan.builtin).toEqual(['virtio_ring', 'virtio', 'virtio_console']);
  });

  it('on bookworm loads every module, dependencies first, each once', () => {
    const plan = planModules(WANTED, parseModulesDep(BOOKWORM_DEP), new Set(), '6.1');
    expect(plan.load.map(moduleName)).toEqual(WANTED);
    expect(plan.builtin).toEqual([]);
  });

  it('puts dependencies a module needs before it even when not asked for', () => {
    const plan = planModules(['virtio_net'], parseModulesDep(TRIXIE_DEP), new Set(), '6.12');
    expect(plan.load.map(moduleName)).toEqual(['failover', 'net_failover', 'virtio_net']);
  });

  it('fails clearly when a module is neither a file nor built in', () => {
    const call = () =>
      planModules(
        ['virtio_blk', 'virtio_scsi'],
        parseModulesDep(TRIXIE_DEP),
        parseModulesBuiltin(TRIXIE_BUILTIN),
        '6.12.1-cloud',
      );
    expect(call).toThrow(ModuleNotFoundError);
    expect(call).toThrow(
      'kernel 6.12.1-cloud has no module virtio_scsi: no file for it in modules.dep and not built in (modules.builtin)',
    );
  });

  it('does not take a module missing from both lists as built in because another is', () => {
    expect(() => planModules(['virtio'], parseModulesDep(TRIXIE_DEP), new Set(), '6.12')).toThrow(
      'has no module virtio',
    );
  });

  it('reports a dependency cycle instead of looping', () => {
    const deps = parseModulesDep('a.ko: b.ko\nb.ko: a.ko\n');
    expect(() => planModules(['a'], deps, new Set(), '6.12')).toThrow(
      'modules.dep has a cycle: a.ko -> b.ko -> a.ko',
    );
  });
});
