/**
 * A lab server for the real-sandbox tests: on 127.0.0.1 at a free port, the fixture course,
 * real qemu sandboxes (none booted ahead), the tests' fixed capacity and a data directory of its
 * own; `close()` stops the server and its sandboxes and removes the directory.
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
  const dataDir = mkdtempSync(join(tmpdir(), 'ebpf-lab-e2e-'));
  const pool = new SandboxPool(new QemuSandboxDriver(), 0);
  const config = resolveConfig({
    port: 0,
    dataDir,
    warmSandboxes: 0,
    lessonsDir: FIXTURE_COURSE,
    maxSessions: TEST_CAPACITY,
    ...settings,
  });
  const lab = await startLabServer(config, pool, options);
  return {
    lab,
    async close() {
      await lab.close();
      await pool.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
