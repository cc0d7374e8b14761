/** The template key: the same machine gives the same key, another machine another key. */
import { describe, expect, it } from 'vitest';
import { qemuArgs, templateArgsShape } from './qemu.js';
import { templateKey } from './template-store.js';

const image = {
  kernel: '/img/vmlinux',
  initramfs: '/img/initramfs.cpio',
  rootfs: '/img/rootfs.ext4',
  kernelRelease: '6.1.0',
  id: 'aaaa-bbbb',
  suite: 'bookworm',
  tools: [],
};
const machine = { image, accel: 'tcg' as const, memoryMiB: 1024, cpus: 2 };
const key = (o: typeof machine & { tscKhz?: number }) =>
  templateKey(
    {
      imageId: o.image.id,
      accel: o.accel,
      memoryMiB: o.memoryMiB,
      cpus: o.cpus,
      argsShape: templateArgsShape(o),
    },
    'QEMU 7.2',
  );

describe('templateKey', () => {
  it('ignores the host TSC rate, which wanders on some hosts', () => {
    expect(key({ ...machine, tscKhz: 2_445_404 })).toBe(key({ ...machine, tscKhz: 2_445_999 }));
  });

  it('changes with the image, memory, CPUs, accelerator and qemu version', () => {
    const base = key(machine);
    expect(key({ ...machine, image: { ...image, id: 'aaaa-cccc' } })).not.toBe(base);
    expect(key({ ...machine, memoryMiB: 768 })).not.toBe(base);
    expect(key({ ...machine, cpus: 1 })).not.toBe(base);
    expect(key({ ...machine, accel: 'kvm' as never })).not.toBe(base);
    const spec = {
      imageId: image.id,
      accel: 'tcg',
      memoryMiB: 1024,
      cpus: 2,
      argsShape: templateArgsShape(machine),
    };
    expect(templateKey(spec, 'QEMU 8.2')).not.toBe(templateKey(spec, 'QEMU 7.2'));
  });

  it('a template and its clones never report free pages (it would punch holes in the template)', () => {
    const clone = qemuArgs({
      ...machine,
      agentSocket: 'a',
      memoryFile: { path: 'ram', share: false },
    });
    expect(clone.join(' ')).not.toContain('free-page-reporting=on');
    expect(templateArgsShape(machine).join(' ')).not.toContain('free-page-reporting=on');
    expect(qemuArgs({ ...machine, agentSocket: 'a' }).join(' ')).toContain(
      'free-page-reporting=on',
    );
  });
});
