/**
 * `ebpf-lab instructor-link`: a fresh instructor link, for when the one `serve` printed has
 * scrolled away or leaked. Works beside a running server (both use lab.db; the server checks
 * each sign-in against the database), and prints the address the lab was last served at.
 */
import { parseArgs } from 'node:util';
import { InstructorAuth, instructorLink } from '../app/server/classroom/instructor-auth.js';
import { lastLabAddress } from '../app/server/classroom/lab-address.js';
import { labBaseUrl } from '../app/server/classroom/lab-url.js';
import { resolveConfig } from '../app/server/config.js';
import { databaseFile, LabDatabase } from '../app/server/db/database.js';

export const INSTRUCTOR_LINK_USAGE = `Usage: ebpf-lab instructor-link [--sign-out-everyone]

Prints a new link that signs a browser in as the class's instructor (the lab's /teach pages).
The previous link stops working: only one is valid at a time, and each start of ebpf-lab serve
makes a new one too. Browsers already signed in as instructor stay signed in.

  --sign-out-everyone  also sign out every browser signed in as instructor (a link that was
                       seen by others, e.g. on the projector)

Uses the lab's data directory (EBPF_LAB_DATA) and the address the lab was last served at.`;

export async function instructorLinkCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'sign-out-everyone': { type: 'boolean' } } });
  const config = resolveConfig();
  const db = LabDatabase.open(databaseFile(config.dataDir));
  try {
    const secret = new InstructorAuth(db).newLinkSecret({
      signOutEveryone: values['sign-out-everyone'] === true,
    });
    const baseUrl =
      lastLabAddress(db) ??
      labBaseUrl({ publicUrl: config.publicUrl, listenHost: config.host, port: config.port });
    process.stdout.write(`instructor: ${instructorLink(baseUrl, secret)}\n`);
    if (values['sign-out-everyone']) {
      process.stdout.write('Every browser signed in as instructor was signed out.\n');
    }
  } finally {
    db.close();
  }
  return 0;
}
