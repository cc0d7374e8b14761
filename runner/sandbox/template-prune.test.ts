import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { imagesDir, PRUNE_UNUSED_MS } from '../image/build.js';
import { markTemplateUsed, pruneTemplates, templateDir, templatesDir } from './template-store.js';

let cache: string;
const saved = process.env.EBPF_LAB_CACHE;

beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), 'ebpf-lab-cache-'));
  process.env.EBPF_LAB_CACHE = cache;
  mkdirSync(templatesDir(), { recursive: true });
  // The image every template below is of, unless it says another.
  mkdirSync(join(imagesDir(), 'rootfs-aaaa'), { recursive: true });
  writeFileSync(join(imagesDir(), 'initramfs-bbbb.cpio'), '');
});

afterEach(() => {
  if (saved === undefined) delete process.env.EBPF_LAB_CACHE;
  else process.env.EBPF_LAB_CACHE = saved;
  rmSync(cache, { recursive: true, force: true });
});

/** A template folder of `key`, last used `ageMs` ago. */
function template(key: string, ageMs: number, imageId = 'aaaa-bbbb'): string {
  const dir = templateDir(key);
  mkdirSync(dir);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ key, imageId }));
  const when = new Date(Date.now() - ageMs);
  utimesSync(join(dir, 'manifest.json'), when, when);
  return dir;
}

describe('pruneTemplates', () => {
  it("removes other keys' templates that nobody used for a week, never the current one", async () => {
    const current = template('c0', 30 * PRUNE_UNUSED_MS);
    const stale = template('01', PRUNE_UNUSED_MS + 60_000); // another qemu, say: unused
    const recent = template('02', PRUNE_UNUSED_MS - 60_000); // another checkout's, in use
    expect(await pruneTemplates('c0')).toBe(1);
    expect([existsSync(current), existsSync(stale), existsSync(recent)]).toEqual([
      true,
      false,
      true,
    ]);
  });

  it('removes at once the templates of guest images no longer cached', async () => {
    const orphan = template('03', 0, 'dddd-bbbb'); // its root file system was pruned
    const kept = template('04', 0);
    expect(await pruneTemplates('c0')).toBe(1);
    expect([existsSync(orphan), existsSync(kept)]).toEqual([false, true]);
  });

  it('leaves half-built templates and other files alone', async () => {
    const partial = join(templatesDir(), 'template-05.partial-123');
    mkdirSync(partial);
    const when = new Date(Date.now() - 30 * PRUNE_UNUSED_MS);
    utimesSync(partial, when, when);
    writeFileSync(join(templatesDir(), 'notes.txt'), '');
    expect(await pruneTemplates('c0')).toBe(0);
    expect(existsSync(partial)).toBe(true);
  });

  it('keeps a template a sandbox was restored from: markTemplateUsed renews it', async () => {
    const dir = template('06', PRUNE_UNUSED_MS + 60_000);
    markTemplateUsed({ dir, memory: '', state: '', manifest: {} as never });
    expect(Date.now() - statSync(join(dir, 'manifest.json')).mtimeMs).toBeLessThan(60_000);
    expect(await pruneTemplates('c0')).toBe(0);
  });

  it('finds nothing to do where no template was ever built', async () => {
    rmSync(templatesDir(), { recursive: true });
    expect(await pruneTemplates('c0')).toBe(0);
  });
});
