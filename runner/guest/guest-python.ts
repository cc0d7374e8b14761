/**
 * For the unit tests of the guest's Python: runs a script with the guest's modules importable
 * and `input` as JSON on its stdin, and returns what it prints as JSON. The real Python, on the
 * host: the modules these tests cover import nothing the guest alone has.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const GUEST_DIR = fileURLToPath(new URL('.', import.meta.url));

/** `script` starts with `json` and `sys` imported and the guest's folder on the module path. */
export function runGuestPython(script: string, input: unknown): unknown {
  const run = spawnSync(
    'python3',
    ['-B', '-c', `import json, sys\nsys.path.insert(0, sys.argv[1])\n${script}`, GUEST_DIR],
    {
      input: JSON.stringify(input),
      encoding: 'utf8',
      timeout: 30_000,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (run.error) throw new Error(`cannot run python3: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`python3 exited with ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}
