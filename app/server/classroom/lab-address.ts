/**
 * Where the lab was last served, as the instructor opens it: `serve` records it at start, and
 * `ebpf-lab instructor-link`, a separate process, reads it to print a link that works without
 * being told the host and port again.
 */
import type { LabDatabase } from '../db/database.js';

export function rememberLabAddress(db: LabDatabase, url: string, now = Date.now()): void {
  db.run(
    `INSERT INTO lab_address (id, url, at) VALUES (1, ?, ?)
     ON CONFLICT (id) DO UPDATE SET url = excluded.url, at = excluded.at`,
    url,
    now,
  );
}

export function lastLabAddress(db: LabDatabase): string | undefined {
  return db.value<string>('SELECT url FROM lab_address WHERE id = 1');
}
