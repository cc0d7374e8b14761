/**
 * A lab server for the real-sandbox tests: on 127.0.0.1 at a free port, the fixture course,
 * real qemu sandboxes (none booted ahead, a pool of its own), the tests' fixed capacity and a data
 * directory of its own; `close()` stops the server and its sandboxes and removes the directory.
 * A test that restarts the lab passes its own `dataDir` (and the old lab's `port`): the new lab
 * reads the same data, and that directory is the test's to remove.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LabConfig, resolveConfig } from '../../app/server/config.js';
import { type LabServer, type LabServerOptions, startLabServer } from '../../app/server/server.js';
import { SandboxPool } from '../../runner/sandbox/pool.js';
import { QemuSandboxDriver } from '../../runner/sandbox/qemu.js';
import { FIXTURE_COURSE, TEST_CAPACITY } from './helpers.js';

export interface QemuLab {
  lab: LabServer;
  close(): Promise<void>;
}

export async function startQemuLab(
  settings: Partial<Record<keyof LabConfig, string | number>> = {},
  options: LabServerOptions = {},
): Promise<QemuLab> {
  const ownDataDir = settings.dataDir === undefined;
  const dataDir = ownDataDir
    ? mkdtempSync(join(tmpdir(), 'ebpf-lab-e2e-'))
    : String(settings.dataDir);
  const pool = new SandboxPool(new QemuSandboxDriver(), 0);
  const config = resolveConfig({
    port: 0,
    warmSandboxes: 0,
    lessonsDir: FIXTURE_COURSE,
    maxSessions: TEST_CAPACITY,
    ...settings,
    dataDir,
  });
  const lab = await startLabServer(config, pool, options);
  return {
    lab,
    async close() {
      await lab.close();
      await pool.close();
      if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
