/**
 * The qemu microVM driver: the sandbox contract (test/e2e/sandbox-contract.ts) against a real
 * microVM booting the guest image, then what only a VM gives: the learner's code never sees
 * this host.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { execInSandbox } from '../../runner/sandbox/exec.js';
import { QemuSandboxDriver } from '../../runner/sandbox/qemu.js';
import { runProbe } from './helpers.js';
import { describeSandboxContract } from './sandbox-contract.js';

const sandbox = describeSandboxContract(() => new QemuSandboxDriver().start());

describe('the sandbox is not the host', () => {
  it("#include of a host file reads the sandbox's file, never the host's", async () => {
    const secret = `host_secret_${randomBytes(6).toString('hex')}`;
    // The secret is only in the file's content: its name shows up in clang's "not found".
    const hostFile = `/tmp/ebpf-lab-host-${process.pid}.h`;
    writeFileSync(hostFile, `#define LEAK "${secret}"\n`);
    try {
      const source = `#include "${hostFile}"
int hello_world(void *ctx) { return 0; }
`;
      const outcome = await runProbe(sandbox(), {
        source,
        attach: [{ kind: 'kprobe', target: 'clone' }],
      });
      expect(outcome.error?.kind).toBe('compile');
      expect(JSON.stringify(outcome)).not.toContain(secret);
      expect(outcome.error?.diagnostics[0]).toMatchObject({ line: 1 });
      expect(outcome.error?.log).toMatch(/file not found/);

      // /etc/hostname is the sandbox's: its content, `sandbox`, is what clang trips over.
      const etc = await runProbe(sandbox(), {
        source: `#include "/etc/hostname"\nint hello_world(void *ctx) { return 0; }\n`,
        attach: [{ kind: 'kprobe', target: 'clone' }],
      });
      expect(etc.error?.kind).toBe('compile');
      expect(etc.error?.log).toMatch(/sandbox/);
      if (hostname() !== 'sandbox') expect(JSON.stringify(etc)).not.toContain(hostname());
    } finally {
      rmSync(hostFile, { force: true });
    }
  });

  it('commands run inside the guest, with no network device', async () => {
    const result = await execInSandbox(sandbox().agent, 'cat /etc/hostname; ls /sys/class/net');
    expect(result.stdout).toBe('sandbox\nlo\n');
    expect(sandbox().kernel).toMatch(/cloud-amd64$/);
  });
});
