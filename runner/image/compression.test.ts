import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTool } from './build.js';
import {
  COMPRESSION_FORMATS,
  decompressArgv,
  decompressInPlace,
  formatOfData,
  formatOfName,
} from './compression.js';

describe('formatOfData', () => {
  it.each([
    [[0x02, 0x21, 0x4c, 0x18, 0x00], 'LZ4 (legacy frame)'],
    [[0x28, 0xb5, 0x2f, 0xfd, 0x04], 'zstd'],
    [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00], 'xz'],
    [[0x1f, 0x8b, 0x08], 'gzip'],
  ])('recognises %j as %s', (bytes, name) => {
    expect(formatOfData(Uint8Array.from(bytes))?.name).toBe(name);
  });

  it('knows no format for an ELF file, a truncated magic or nothing', () => {
    expect(formatOfData(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46]))).toBeUndefined();
    expect(formatOfData(Uint8Array.from([0x28, 0xb5, 0x2f]))).toBeUndefined();
    expect(formatOfData(new Uint8Array())).toBeUndefined();
  });
});

describe('formatOfName', () => {
  it('names the format of compressed module files and none for plain ones', () => {
    expect(formatOfName('virtio_blk.ko.xz')?.tool).toBe('xz');
    expect(formatOfName('virtio_blk.ko.zst')?.tool).toBe('zstd');
    expect(formatOfName('virtio_blk.ko.gz')?.tool).toBe('gzip');
    expect(formatOfName('virtio_blk.ko')).toBeUndefined();
  });
});

describe('decompressArgv', () => {
  it('is an argv array that decompresses in place', () => {
    const xz = COMPRESSION_FORMATS.find((f) => f.tool === 'xz');
    if (!xz) throw new Error('no xz format');
    expect(decompressArgv(xz, '/tmp/a b.ko.xz')).toEqual([
      'xz',
      ['-d', '-f', '-q', '/tmp/a b.ko.xz'],
    ]);
  });

  it("names lz4's output, which it would otherwise write to a non-terminal stdout", () => {
    const lz4 = COMPRESSION_FORMATS.find((f) => f.tool === 'lz4');
    if (!lz4) throw new Error('no lz4 format');
    expect(decompressArgv(lz4, '/tmp/vmlinux.lz4')).toEqual([
      'lz4',
      ['-d', '-f', '-q', '/tmp/vmlinux.lz4', '/tmp/vmlinux'],
    ]);
  });

  it('refuses a path without the format suffix', () => {
    const zstd = COMPRESSION_FORMATS.find((f) => f.tool === 'zstd');
    if (!zstd) throw new Error('no zstd format');
    expect(() => decompressArgv(zstd, '/tmp/vmlinux')).toThrow('does not end in .zst');
  });
});

// The real host tools (setup installs them): each format round-trips through its own tool.
describe('decompressInPlace with the host tools', () => {
  for (const format of COMPRESSION_FORMATS) {
    it(`undoes ${format.name}`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ebpf-lab-compression-'));
      try {
        const plain = join(dir, 'data');
        await writeFile(plain, 'kernel bytes\n'.repeat(100));
        const compressArgs =
          format.tool === 'lz4' ? ['-l', '-q', plain, `${plain}.lz4`] : ['-q', '-k', plain];
        await runTool(format.tool, compressArgs);
        const compressed = await readFile(`${plain}${format.suffix}`);
        expect(formatOfData(compressed)?.name).toBe(format.name);
        await rm(plain);
        const out = await decompressInPlace(format, `${plain}${format.suffix}`, (c, a) =>
          runTool(c, a),
        );
        expect(out).toBe(plain);
        expect(await readFile(plain, 'utf8')).toBe('kernel bytes\n'.repeat(100));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('says which tool and package when decompression fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ebpf-lab-compression-'));
    try {
      const bogus = join(dir, 'module.ko.xz');
      await writeFile(bogus, 'not xz at all');
      const xz = formatOfName(bogus);
      if (!xz) throw new Error('no xz format');
      await expect(decompressInPlace(xz, bogus, (c, a) => runTool(c, a))).rejects.toThrow(
        /cannot decompress .*module\.ko\.xz \(xz\); is xz installed \(Debian package xz-utils\)/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
