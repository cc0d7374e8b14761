/**
 * The `local` driver runs the guest agent on this machine. Where this machine cannot load BPF
 * programs it must refuse, naming every reason. Where it can (inside the Vagrant VM, where
 * test/e2e/vagrant-provision.test.ts runs this file), it must pass the same sandbox contract as
 * the qemu driver, in this machine's own kernel.
 */
import { spawnSync } from 'node:child_process';
import { release } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../runner/paths.js';
import {
  CAN_LOAD_BPF_PY,
  cannotLoadBpf,
  LocalSandboxDriver,
  localSandboxProblems,
} from '../../runner/sandbox/local.js';
import { describeSandboxContract } from './sandbox-contract.js';

const problems = localSandboxProblems();

describe('whether this process can load BPF programs', () => {
  // The tests run as root with every capability (here and in the Vagrant VM).
  it('loads a kprobe program as root', () => {
    expect(cannotLoadBpf()).toBeUndefined();
  });

  it('is refused without capabilities (root in a container, say), naming the error', () => {
    const dropped = spawnSync(
      'setpriv',
      ['--bounding-set=-all', '--inh-caps=-all', '--', 'python3', '-S', '-c', CAN_LOAD_BPF_PY],
      { encoding: 'utf8' },
    );
    expect(dropped.status).toBe(1);
    expect(dropped.stdout).toMatch(/Operation not permitted \(EPERM\)/);
  });
});

if (problems.length > 0) {
  describe('the local sandbox driver, where BPF cannot run', () => {
    it('refuses to start, saying why', async () => {
      const started = new LocalSandboxDriver().start();
      await expect(started).rejects.toThrow(/The local sandbox cannot run here/);
      const message = await started.catch((error: Error) => error.message);
      for (const problem of problems) expect(message).toContain(problem);
    });

    it('keeps `ebpf-lab serve --sandbox local` from starting, with the reasons', () => {
      const serve = spawnSync(
        process.execPath,
        [join(PACKAGE_ROOT, 'bin', 'ebpf-lab.js'), 'serve', '--sandbox', 'local', '--port', '0'],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(serve.status).toBe(3);
      expect(serve.stdout).not.toContain('ebpf-lab ready');
      expect(serve.stderr).toContain('ebpf-lab serve: The local sandbox cannot run here');
      for (const problem of problems) expect(serve.stderr).toContain(problem);
    });
  });
} else {
  const sandbox = describeSandboxContract(() => new LocalSandboxDriver().start());

  describe('the local sandbox driver, where BPF can run', () => {
    it("is this machine's kernel, with no VM in between", () => {
      expect(sandbox().mode).toBe('local');
      expect(sandbox().kernel).toBe(release());
    });
  });
}
