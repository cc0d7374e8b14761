/**
 * Where VM templates live and whether one fits. A template is a sandbox frozen once it was warm
 * (BCC imported, a probe compiled, loaded and attached): its guest RAM as a file, and its device
 * state as qemu migrated it (with `x-ignore-shared`, so the RAM is not in the state file).
 * Clones map the RAM file privately (copy-on-write) and load the state: no boot, no warm-up.
 *
 * A template fits only the exact machine it was frozen from, so its key hashes everything that
 * shapes that machine: the guest image, qemu's version, and qemu's arguments (memory, CPUs,
 * accelerator, devices). Anything else is refused before qemu sees it, with the reason, and the
 * driver boots cold instead.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { imagesDir, PRUNE_UNUSED_MS } from '../image/build.js';
import { cacheRoot } from '../paths.js';

/** Bump when the template build procedure changes (what is warmed, how it is saved). */
const TEMPLATE_BUILDER_VERSION = 2; // 2: with the built-in lessons' includes precompiled

export interface TemplateManifest {
  key: string;
  imageId: string;
  accel: string;
  memoryMiB: number;
  cpus: number;
  qemuVersion: string;
  /** sha256 of state.bin: a corrupt or swapped state file is refused before restoring. */
  stateSha256: string;
  builtAt: string;
  buildMs: number;
}

export interface VmTemplate {
  dir: string;
  memory: string;
  state: string;
  manifest: TemplateManifest;
}

/** What a template is built from; `argsShape` is qemu's argv with per-sandbox paths blanked. */
export interface TemplateSpec {
  imageId: string;
  accel: string;
  memoryMiB: number;
  cpus: number;
  argsShape: string[];
}

export function templatesDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.EBPF_LAB_TEMPLATES ?? join(cacheRoot(env), 'templates');
}

let cachedQemuVersion: string | undefined;

/** `qemu-system-x86_64 --version`'s first line: a template is only valid for one qemu. */
export function qemuVersion(): string {
  if (cachedQemuVersion === undefined) {
    const result = spawnSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' });
    cachedQemuVersion = (result.stdout ?? '').split('\n')[0]?.trim() || 'unknown';
  }
  return cachedQemuVersion;
}

export function templateKey(spec: TemplateSpec, version = qemuVersion()): string {
  const hash = createHash('sha256');
  for (const part of [
    String(TEMPLATE_BUILDER_VERSION),
    spec.imageId,
    spec.accel,
    String(spec.memoryMiB),
    String(spec.cpus),
    version,
    JSON.stringify(spec.argsShape),
  ]) {
    hash.update(part).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

export function templateDir(key: string, dir = templatesDir()): string {
  return join(dir, `template-${key}`);
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export type TemplateLookup = { template: VmTemplate } | { missing: string };

/**
 * The template for `key` if it is complete and intact, else why not (shown to the user when
 * the sandbox boots cold instead). The state file is hashed (about 100 KB); the RAM file is
 * checked for its size only, and a restore that fails on it falls back at run time.
 */
export function findTemplate(key: string, memoryMiB: number, dir = templatesDir()): TemplateLookup {
  const where = templateDir(key, dir);
  const manifestPath = join(where, 'manifest.json');
  if (!existsSync(manifestPath)) return { missing: 'no template built for this configuration' };
  let manifest: TemplateManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as TemplateManifest;
  } catch (error) {
    return { missing: `the template's manifest is unreadable (${(error as Error).message})` };
  }
  if (manifest.key !== key) {
    return { missing: `the template's key ${manifest.key} is not this configuration's ${key}` };
  }
  const memory = join(where, 'memory.raw');
  const state = join(where, 'state.bin');
  if (!existsSync(memory) || statSync(memory).size !== memoryMiB * 1024 * 1024) {
    return { missing: 'the template RAM file is missing or has the wrong size' };
  }
  if (!existsSync(state) || sha256File(state) !== manifest.stateSha256) {
    return { missing: 'the template state file is missing or corrupt (checksum mismatch)' };
  }
  return { template: { dir: where, memory, state, manifest } };
}

/**
 * Records that a template is in use (its manifest's mtime): a sandbox restored from it, or a
 * set-up that found it current. pruneTemplates keeps what was used within PRUNE_UNUSED_MS.
 */
export function markTemplateUsed(template: VmTemplate, now = new Date()): void {
  try {
    utimesSync(join(template.dir, 'manifest.json'), now, now);
  } catch {
    // read-only cache or removed meanwhile: the template is only pruned sooner
  }
}

/**
 * Removes templates that cannot or will not be restored again, each about 0.4 GB on disk:
 * those of guest images no longer cached, and those of other keys (another qemu version,
 * memory size or build procedure) that nobody used for PRUNE_UNUSED_MS. Recently used ones of
 * other keys stay, like other recipes' images: one cache serves every checkout on the machine.
 * Returns how many were removed.
 */
export async function pruneTemplates(
  keepKey: string,
  dir = templatesDir(),
  now = Date.now(),
): Promise<number> {
  let removed = 0;
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    const key = /^template-([0-9a-f]+)$/.exec(entry)?.[1];
    if (!key || key === keepKey) continue;
    const where = join(dir, entry);
    if (imageIsGone(where) || now - (await lastUsed(where)) >= PRUNE_UNUSED_MS) {
      await rm(where, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}

/** The template's guest image is no longer in the cache (a new recipe pruned it). */
function imageIsGone(where: string): boolean {
  let imageId: string;
  try {
    imageId = (JSON.parse(readFileSync(join(where, 'manifest.json'), 'utf8')) as TemplateManifest)
      .imageId;
  } catch {
    return false; // unreadable or half-written: left to the age rule
  }
  const [rootHash, initHash] = imageId.split('-');
  return !(
    existsSync(join(imagesDir(), `rootfs-${rootHash}`)) &&
    existsSync(join(imagesDir(), `initramfs-${initHash}.cpio`))
  );
}

/** When the template was last used: its manifest's mtime, else the folder's. */
async function lastUsed(where: string): Promise<number> {
  const manifest = await stat(join(where, 'manifest.json')).catch(() => undefined);
  return (manifest ?? (await stat(where))).mtimeMs;
}
