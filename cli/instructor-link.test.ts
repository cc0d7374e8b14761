import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InstructorAuth } from '../app/server/classroom/instructor-auth.js';
import { rememberLabAddress } from '../app/server/classroom/lab-address.js';
import { databaseFile, LabDatabase } from '../app/server/db/database.js';
import { instructorLinkCommand } from './instructor-link.js';

let dir: string;
let printed: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ebpf-lab-link-'));
  vi.stubEnv('EBPF_LAB_DATA', dir);
  // Empty settings are ignored: the defaults, whatever this shell has set.
  for (const name of ['EBPF_LAB_HOST', 'EBPF_LAB_PORT', 'EBPF_LAB_PUBLIC_URL'])
    vi.stubEnv(name, '');
  printed = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((text) => {
    printed += String(text);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

const secretOf = (output: string) => /\/teach#([A-Za-z0-9_-]{43})\n/.exec(output)?.[1];

describe('ebpf-lab instructor-link', () => {
  it('prints a new link to where the lab was last served; the old one stops working', async () => {
    const db = LabDatabase.open(databaseFile(dir));
    rememberLabAddress(db, 'http://192.168.1.5:3000');
    const auth = new InstructorAuth(db);
    const old = auth.newLinkSecret();
    const session = auth.signIn(old)?.sessionId;

    expect(await instructorLinkCommand([])).toBe(0);
    expect(printed).toMatch(
      /^instructor: http:\/\/192\.168\.1\.5:3000\/teach#[A-Za-z0-9_-]{43}\n$/,
    );
    expect(auth.signIn(old)).toBeUndefined();
    expect(auth.signIn(secretOf(printed))).toBeDefined();
    expect(auth.isInstructor(session)).toBe(true);

    printed = '';
    expect(await instructorLinkCommand(['--sign-out-everyone'])).toBe(0);
    expect(printed).toContain('signed out');
    expect(auth.isInstructor(session)).toBe(false);
    db.close();
  });

  it('without a lab served yet, prints the address serve would use', async () => {
    expect(await instructorLinkCommand([])).toBe(0);
    expect(printed).toMatch(/^instructor: http:\/\/127\.0\.0\.1:3000\/teach#/);
  });
});
