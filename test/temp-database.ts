/**
 * A lab database in a fresh temporary directory for unit tests, closed and removed after each
 * test; `reopen` closes it and opens the same file again, as a restarted server would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { databaseFile, LabDatabase } from '../app/server/db/database.js';

export interface TempDatabase {
  db: LabDatabase;
  reopen(): LabDatabase;
}

export function useTempDatabase(): () => TempDatabase {
  let dir: string | undefined;
  let current: LabDatabase | undefined;
  afterEach(() => {
    current?.close();
    current = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return () => {
    dir = mkdtempSync(join(tmpdir(), 'ebpf-lab-classroom-'));
    const file = databaseFile(dir);
    current = LabDatabase.open(file);
    const temp: TempDatabase = {
      db: current,
      reopen() {
        current?.close();
        current = LabDatabase.open(file);
        temp.db = current;
        return current;
      },
    };
    return temp;
  };
}
