/** `ebpf-lab serve`: the web lab on http://127.0.0.1:3000 until Ctrl-C. */
import { parseArgs } from 'node:util';
import { isLoopback, MACHINE_CAPACITY, resolveConfig } from '../app/server/config.js';
import { startLabServer } from '../app/server/server.js';
import { SANDBOX_KINDS, sandboxDriver } from '../runner/sandbox/drivers.js';
import { SandboxPool } from '../runner/sandbox/pool.js';
import { progressLine } from './progress.js';
import { UsageError } from './usage.js';

export const SERVE_USAGE = `Usage: ebpf-lab serve [--host H] [--port P] [--public-url URL] [--lessons DIR]
                      [--authoring] [--sandbox qemu|local]

Serves the web lab. Each learner (a browser) gets a sandbox VM while a tab is open. Prints the
lab's URL and an instructor link (/teach#<secret>) that signs a browser in as the instructor of
the lab's classes; every start makes a new link (ebpf-lab instructor-link makes one meanwhile).

  --host H       address to listen on (default 127.0.0.1; anything else is reachable by
                 others, who could then run code in sandboxes on this machine)
  --port P       TCP port (default 3000)
  --public-url URL
                 the address learners open when it is not 127.0.0.1, localhost or --host
                 (e.g. http://lab.example:3000 behind a name or a proxy). The lab refuses
                 requests for any other host name, so a web page cannot reach it by
                 rebinding its own name to this machine
  --lessons DIR  the curriculum folder (default: the lessons/ that ships with ebpf-lab)
  --authoring    watch the lessons folder: an edited lesson reloads in open browser tabs
  --sandbox K    qemu (default): a microVM per learner; local: learners' probes run in this
                 machine's kernel, for a disposable VM only (the Vagrant VM); where it cannot
                 work (not root, BPF refused, no BCC...), serve exits 3 saying why

Environment: EBPF_LAB_HOST, EBPF_LAB_PORT, EBPF_LAB_LESSONS, EBPF_LAB_IDLE_TIMEOUT_MS,
EBPF_LAB_MAX_SESSIONS, EBPF_LAB_WARM_SANDBOXES, EBPF_LAB_PUBLIC_URL (flags win over the
environment).`;

export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'public-url': { type: 'string' },
      lessons: { type: 'string' },
      authoring: { type: 'boolean' },
      sandbox: { type: 'string' },
    },
  });
  if (
    values.sandbox !== undefined &&
    !(SANDBOX_KINDS as readonly string[]).includes(values.sandbox)
  ) {
    throw new UsageError(
      `--sandbox must be one of ${SANDBOX_KINDS.join(', ')}, got "${values.sandbox}"`,
    );
  }
  const config = resolveConfig({
    host: values.host,
    port: values.port,
    publicUrl: values['public-url'],
    lessonsDir: values.lessons,
  });
  if (!isLoopback(config.host)) {
    progressLine(
      'serve',
      `warning: listening on ${config.host}, not 127.0.0.1: anyone who can reach this address can run code in sandboxes on this machine`,
    );
  }
  const driver = sandboxDriver(values.sandbox);
  driver.preflight?.();
  const pool = new SandboxPool(driver, config.warmSandboxes);
  pool.fill();
  const lab = await startLabServer(config, pool, {
    authoring: values.authoring,
    log: (text) => progressLine('serve', text),
  });
  if (values.authoring) progressLine('serve', `authoring mode: watching ${config.lessonsDir}`);
  const sized =
    config.maxSessions === MACHINE_CAPACITY.slots
      ? `${MACHINE_CAPACITY.reason}; EBPF_LAB_MAX_SESSIONS changes it`
      : 'EBPF_LAB_MAX_SESSIONS';
  progressLine(
    'serve',
    `sandboxes: ${config.maxSessions} at once (${sized}); more learners wait in line`,
  );
  process.stdout.write(`ebpf-lab ready at ${lab.url}\n`);
  // The secret is in the fragment: a browser never sends it, so no request log shows it. A new
  // one at every start; ebpf-lab instructor-link makes another while the lab runs.
  process.stdout.write(`instructor: ${lab.instructorUrl}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  progressLine('serve', 'stopping: closing sessions and sandboxes');
  await lab.close();
  await pool.close();
  return 0;
}
