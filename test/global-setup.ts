/**
 * Before any test file runs (vitest's globalSetup): brings dist/ up to date when a source is
 * newer than it. `npm test` builds both already; a test file run by hand (`npx vitest run
 * test/e2e/…`) after an edit would otherwise drive an old client bundle in Chromium, or an old
 * CLI in a child process, and its failure would look like a fault of the lab.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../runner/paths.js';

function newestSource(dirs: string[], skip: (path: string) => boolean): number {
  let newest = 0;
  for (const dir of dirs) {
    const root = join(PACKAGE_ROOT, dir);
    for (const name of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
      const path = join(root, name);
      if (skip(path)) continue;
      const stat = statSync(path);
      if (stat.isFile()) newest = Math.max(newest, stat.mtimeMs);
    }
  }
  return newest;
}

function builtAt(file: string): number {
  try {
    return statSync(join(PACKAGE_ROOT, file)).mtimeMs;
  } catch {
    return 0;
  }
}

const isTest = (path: string) => path.endsWith('.test.ts');

export default function setup(): void {
  const run = (what: string, command: string, args: string[]) => {
    process.stderr.write(`[test set-up] ${what}: sources changed since the last build\n`);
    execFileSync(command, args, { cwd: PACKAGE_ROOT, stdio: 'inherit' });
  };
  const client = newestSource(['app/client', 'app/shared'], isTest);
  if (client > builtAt('dist/client/assets/main.js')) {
    run('client build', process.execPath, ['scripts/build-client.mjs']);
  }
  const cli = newestSource(
    ['cli', 'runner', 'app'],
    (path) => isTest(path) || !path.endsWith('.ts') || path.includes('/app/client/'),
  );
  if (cli > builtAt('dist/.tsbuildinfo')) {
    const tsc = join(PACKAGE_ROOT, 'node_modules/typescript/bin/tsc');
    run('tsc', process.execPath, [tsc, '-p', 'tsconfig.build.json']);
    // An incremental build that found nothing to emit leaves its files' times as they were.
    const now = new Date();
    utimesSync(join(PACKAGE_ROOT, 'dist/.tsbuildinfo'), now, now);
  }
}
