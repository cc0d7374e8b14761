/**
 * The lab server the web benches drive: the real one (app/server), in this process, on
 * 127.0.0.1 and a free port, with its learners' progress in a throw-away folder. No sandbox is
 * booted ahead of need: each bench says where its sandboxes come from.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../app/server/config.js';
import { type LabServer, startLabServer } from '../app/server/server.js';
import type { SandboxSource } from '../app/server/session.js';

export interface BenchLab {
  url: string;
  server: LabServer;
  close(): Promise<void>;
}

export async function startBenchLab(
  sandboxes: SandboxSource,
  /** Sandboxes at once (the lab's maxSessions); the server's default when not given. */
  maxSessions?: number,
): Promise<BenchLab> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ebpf-lab-bench-'));
  try {
    const server = await startLabServer(
      resolveConfig({ port: 0, host: '127.0.0.1', dataDir, warmSandboxes: 0, maxSessions }),
      sandboxes,
    );
    return {
      url: server.url,
      server,
      async close() {
        try {
          await server.close();
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
