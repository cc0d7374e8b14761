import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { imagesDir, PRUNE_UNUSED_MS, pruneOtherImages } from './build.js';

let cache: string;
const saved = process.env.EBPF_LAB_CACHE;

beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), 'ebpf-lab-cache-'));
  process.env.EBPF_LAB_CACHE = cache;
  mkdirSync(imagesDir(), { recursive: true });
});

afterEach(() => {
  if (saved === undefined) delete process.env.EBPF_LAB_CACHE;
  else process.env.EBPF_LAB_CACHE = saved;
  rmSync(cache, { recursive: true, force: true });
});

/** An image part last used `ageMs` ago. */
function part(name: string, ageMs: number): string {
  const path = join(imagesDir(), name);
  if (name.startsWith('rootfs-')) {
    mkdirSync(path);
    writeFileSync(join(path, 'manifest.json'), '{}');
  } else {
    writeFileSync(path, '');
  }
  const when = new Date(Date.now() - ageMs);
  utimesSync(path, when, when);
  return path;
}

describe('pruneOtherImages', () => {
  it('removes only parts of other recipes that nobody used for a week', async () => {
    const keep = part('rootfs-aaaa', 30 * PRUNE_UNUSED_MS); // ours, however old
    part('rootfs-bbbb', PRUNE_UNUSED_MS + 60_000); // another recipe, unused: goes
    part('rootfs-cccc', 60_000); // another work tree's, in use: stays
    part('initramfs-dddd.cpio', 2 * PRUNE_UNUSED_MS); // goes
    part('initramfs-eeee.cpio', 0); // stays
    part('rootfs-ffff.partial-123', 2 * PRUNE_UNUSED_MS); // a build in progress: not ours to touch
    expect(await pruneOtherImages([keep])).toBe(2);
    expect((await readdir(imagesDir())).sort()).toEqual([
      'initramfs-eeee.cpio',
      'rootfs-aaaa',
      'rootfs-cccc',
      'rootfs-ffff.partial-123',
    ]);
  });
});
