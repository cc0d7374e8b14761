/**
 * A sandbox's host memory does not only grow (issue 15, item 7). Under software emulation
 * qemu's translated-code cache is capped, in every sandbox. Memory the guest uses and then frees
 * goes back to the host (virtio-balloon free page reporting) in a sandbox that booted; a clone
 * of a VM template cannot (QEMU before 8.1 would punch the reported pages out of the shared
 * template file), so its RAM is bounded by the guest's size instead (the soak bench measures
 * it). Measured on real sandboxes' qemu.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../runner/limits.js';
import { prepareProbe } from '../../runner/probe/prepare.js';
import { execInSandbox } from '../../runner/sandbox/exec.js';
import { QemuSandboxDriver } from '../../runner/sandbox/qemu.js';
import { residentMiB } from '../../runner/sandbox/resident-memory.js';
import type { Sandbox } from '../../runner/sandbox/sandbox.js';

const ALLOCATE_MIB = 400;
/** Of what the guest freed, at least this much is back with the host within RETURN_WITHIN_MS. */
const RETURNED_MIB = 200;
const RETURN_WITHIN_MS = 90_000;

let sandbox: Sandbox | undefined;
let clone: Sandbox | undefined;
afterAll(async () => {
  await sandbox?.stop();
  await clone?.stop();
});

const qemuArgsOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('sandbox memory over time', () => {
  it('memory the guest frees goes back to the host; the translation cache is capped', async () => {
    sandbox = await new QemuSandboxDriver({ template: false }).start();
    const pid = sandbox.pid as number;
    const args = qemuArgsOf(pid);
    expect(args).toContain('virtio-balloon-device,free-page-reporting=on');
    if (sandbox.mode === 'tcg')
      expect(args).toContain(`tcg,tb-size=${LIMITS.tcgTranslationCacheMiB.value}`);
    const modules = await execInSandbox(sandbox.agent, 'grep -c ^virtio_balloon /proc/modules');
    expect(modules.stdout.trim()).toBe('1');
    // Its BCC worker's warm-up over (BCC imported, its headers precompiled, a first compile: a
    // compile waits for it), so no clang allocates beside the memory the test watches come back.
    const warm = await prepareProbe(sandbox.agent, 'int settled(void *ctx) { return 0; }\n', {
      timeoutMs: 240_000,
    });
    expect(warm.error).toBeUndefined();

    const idle = residentMiB(pid) as number;
    // Written, not just allocated: every page of it is touched, so the host backs it. Held
    // while the host measures, then freed when the process exits.
    let peak = idle;
    const used = await execInSandbox(
      sandbox.agent,
      `python3 -c "import time; b = b'\\x01' * (${ALLOCATE_MIB} << 20); print('held', flush=True); time.sleep(10)"`,
      {
        timeoutMs: 120_000,
        onOutput: (_stream, text) => {
          if (text.includes('held')) peak = residentMiB(pid) as number;
        },
      },
    );
    expect(used.stdout).toContain('held');
    console.log(`qemu RSS: idle ${idle} MiB, holding ${ALLOCATE_MIB} MiB ${peak} MiB`);
    expect(peak - idle).toBeGreaterThan(RETURNED_MIB);

    const deadline = Date.now() + RETURN_WITHIN_MS;
    let now = peak;
    while (peak - now < RETURNED_MIB && Date.now() < deadline) {
      await sleep(2000);
      now = residentMiB(pid) as number;
    }
    console.log(`qemu RSS after the guest freed it: ${now} MiB`);
    expect(peak - now).toBeGreaterThanOrEqual(RETURNED_MIB);
  }, 300_000);

  it('a clone of the VM template caps the translation cache, and never discards template pages', async () => {
    clone = await new QemuSandboxDriver().start();
    const args = qemuArgsOf(clone.pid as number);
    expect(args.join(' ')).toMatch(/memory-backend-file,[^ ]*share=off/);
    expect(args).toContain('virtio-balloon-device');
    expect(args).not.toContain('virtio-balloon-device,free-page-reporting=on');
    if (clone.mode === 'tcg')
      expect(args).toContain(`tcg,tb-size=${LIMITS.tcgTranslationCacheMiB.value}`);
  }, 300_000);
});
