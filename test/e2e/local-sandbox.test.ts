/**
 * The `local` driver runs the guest agent on this machine. Where this machine cannot load BPF
 * programs it must refuse, naming every reason; where it can (inside the Vagrant VM), it must
 * run the guide's probe like the qemu driver does.
 */
import { describe, expect, it } from 'vitest';
import { LocalSandboxDriver, localSandboxProblems } from '../../runner/sandbox/local.js';
import { HELLO_WORLD, runProbe } from './helpers.js';

describe('the local sandbox driver', () => {
  const problems = localSandboxProblems();

  it.runIf(problems.length > 0)('refuses to start, saying why', async () => {
    const started = new LocalSandboxDriver().start();
    await expect(started).rejects.toThrow(/The local sandbox cannot run here/);
    const message = await started.catch((error: Error) => error.message);
    for (const problem of problems) expect(message).toContain(problem);
  });

  it.runIf(problems.length === 0)('runs the hello world probe in this kernel', async () => {
    const sandbox = await new LocalSandboxDriver().start();
    try {
      const outcome = await runProbe(
        sandbox,
        { source: HELLO_WORLD, attach: [{ kind: 'kprobe', target: 'clone' }] },
        { trigger: 'ls /', until: (m) => m.includes('Hello World!!') },
      );
      expect(outcome.messages).toContain('Hello World!!');
    } finally {
      await sandbox.stop();
    }
  });
});
