/**
 * Where the project's own files and the user's cache live, independent of whether the code runs
 * from TypeScript sources (tests) or from the compiled `dist/` (the CLI).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'ebpf-lab') {
      return dir;
    }
  }
  throw new Error(`cannot find the ebpf-lab package root above ${from}`);
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
export const GUEST_DIR = join(PACKAGE_ROOT, 'runner', 'guest');
export const IMAGE_RECIPE_DIR = join(PACKAGE_ROOT, 'runner', 'image');

/** The user's cache (never the work tree): $EBPF_LAB_CACHE, else $XDG_CACHE_HOME/ebpf-lab. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EBPF_LAB_CACHE) return env.EBPF_LAB_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ebpf-lab');
}
