/**
 * VM templating for the qemu driver, with real microVMs: a template is built (boot, warm-up,
 * save), two restored sandboxes each get the host's clock, their own entropy and their own
 * agent socket, and a template that is corrupt, refused by qemu, removed or of another
 * configuration makes the driver boot cold and say why. The whole sandbox contract runs against
 * a restored sandbox in sandbox.test.ts (the driver's default start), once: twice would only
 * test the same agent again.
 */
import {
  cpSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findImage, type GuestImage } from '../../runner/image/build.js';
import { execInSandbox } from '../../runner/sandbox/exec.js';
import { type QemuSandbox, QemuSandboxDriver } from '../../runner/sandbox/qemu.js';
import { buildTemplate } from '../../runner/sandbox/template-build.js';
import {
  findTemplate,
  sha256File,
  type TemplateManifest,
  type VmTemplate,
} from '../../runner/sandbox/template-store.js';

const root = mkdtempSync(join(tmpdir(), 'ebpf-lab-templates-'));
let image: GuestImage;
let driver: QemuSandboxDriver;
let template: VmTemplate;
let savedAt = 0;

beforeAll(async () => {
  // One image for the whole file, whatever happens to the work tree meanwhile.
  const found = await findImage();
  if (!found) throw new Error('the guest image is not built: run `ebpf-lab image build`');
  image = found;
  driver = new QemuSandboxDriver({ image, templatesDir: root });
  template = await buildTemplate(driver);
  savedAt = Date.now();
}, 600_000);

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A copy of the template under another root (the RAM file hard-linked: clones never write it). */
function copyTemplate(edit: (dir: string, manifest: TemplateManifest) => void): string {
  const other = mkdtempSync(join(tmpdir(), 'ebpf-lab-templates-'));
  const dir = join(other, `template-${template.manifest.key}`);
  mkdirSync(dir);
  linkSync(template.memory, join(dir, 'memory.raw'));
  cpSync(template.state, join(dir, 'state.bin'));
  const manifest = { ...template.manifest };
  edit(dir, manifest);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return other;
}

async function startCollecting(d: QemuSandboxDriver) {
  const progress: string[] = [];
  const sandbox = await d.start({ onProgress: (text) => progress.push(text) });
  return { sandbox, progress };
}

describe('restored sandboxes are each as fresh as a boot', () => {
  it("two clones get the host's clock, their own entropy and their own agent sockets", async () => {
    // The template's own clock is stale by at least this much, so a clone that kept it fails.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, savedAt + 15_000 - Date.now())));
    const a = await startCollecting(driver);
    const b = await startCollecting(driver);
    try {
      expect(a.sandbox.startedFrom, a.progress.join('\n')).toBe('template');
      expect(b.sandbox.startedFrom, b.progress.join('\n')).toBe('template');
      const probe = 'date +%s%3N; head -c 32 /dev/urandom | od -An -tx1 | tr -d " \\n"';
      // Each guest's clock, read while the host's clock was between `before` and `after`.
      const read = async (sandbox: typeof a.sandbox) => {
        const before = Date.now();
        const result = await execInSandbox(sandbox.agent, probe);
        const [clock, random] = result.stdout.trim().split('\n');
        return { before, after: Date.now(), clock: Number(clock), random };
      };
      const ra = await read(a.sandbox);
      const rb = await read(b.sandbox);
      for (const r of [ra, rb]) {
        expect(r.clock).toBeGreaterThanOrEqual(r.before - 2_000);
        expect(r.clock).toBeLessThanOrEqual(r.after + 2_000);
      }
      const [randomA, randomB] = [ra.random, rb.random];
      expect(randomA).toMatch(/^[0-9a-f]{64}$/);
      expect(randomA).not.toBe(randomB);
      const sockets = [a.sandbox, b.sandbox].map((s) => (s as QemuSandbox).agentSocket);
      expect(sockets[0]).not.toBe(sockets[1]);
      expect(a.sandbox.pid).not.toBe(b.sandbox.pid);
      // Nothing of the template build's run is left for the learner: no probe attached.
      const kprobes = await execInSandbox(
        a.sandbox.agent,
        'cat /sys/kernel/debug/tracing/kprobe_events | wc -l',
      );
      expect(kprobes.stdout.trim()).toBe('0');
      // The built-in lessons' slow includes (lesson 12's <linux/fs.h>) come precompiled, and no
      // program of the build (its warm-up, the includes' probe) is left loaded for the learner
      // to find in `bpftool prog show`.
      const cached = await execInSandbox(a.sandbox.agent, 'ls /var/cache/ebpf-lab/');
      expect(cached.stdout).toMatch(/^includes-[0-9a-f]{16}\.pch$/m);
      const loaded = await execInSandbox(a.sandbox.agent, 'bpftool prog show');
      expect(loaded.code).toBe(0);
      expect(loaded.stdout).not.toMatch(/name ebpf_lab/);
    } finally {
      await Promise.all([a.sandbox.stop(), b.sandbox.stop()]);
    }
  });
});

describe('a template that does not fit makes the driver boot cold, saying why', () => {
  it('refuses a corrupt state file before qemu sees it', async () => {
    const other = copyTemplate((dir) => {
      writeFileSync(join(dir, 'state.bin'), 'not a migration stream');
    });
    try {
      const { sandbox, progress } = await startCollecting(
        new QemuSandboxDriver({ image, templatesDir: other }),
      );
      await sandbox.stop();
      expect(sandbox.startedFrom).toBe('boot');
      expect(progress.join('\n')).toMatch(/state file is missing or corrupt.*booting cold/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('boots cold when qemu refuses the state (truncated, with a matching checksum)', async () => {
    const other = copyTemplate((dir, manifest) => {
      const state = join(dir, 'state.bin');
      truncateSync(state, Math.floor(readFileSync(state).length / 2));
      manifest.stateSha256 = sha256File(state);
    });
    try {
      const { sandbox, progress } = await startCollecting(
        new QemuSandboxDriver({ image, templatesDir: other }),
      );
      try {
        expect(sandbox.startedFrom).toBe('boot');
        expect(progress.join('\n')).toMatch(/could not be restored.*booting cold/);
        const echo = await execInSandbox(sandbox.agent, 'echo alive');
        expect(echo.stdout).toBe('alive\n');
      } finally {
        await sandbox.stop();
      }
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('says why when the template is removed, of another key, or of another machine', async () => {
    const { config, key } = await driver.machine();
    expect('template' in findTemplate(key, config.memoryMiB, root)).toBe(true);

    const removed = mkdtempSync(join(tmpdir(), 'ebpf-lab-templates-'));
    expect(findTemplate(key, config.memoryMiB, removed)).toEqual({
      missing: 'no template built for this configuration',
    });
    rmSync(removed, { recursive: true, force: true });

    const rekeyed = copyTemplate((_dir, manifest) => {
      manifest.key = '0123456789abcdef';
    });
    expect(findTemplate(key, config.memoryMiB, rekeyed)).toEqual({
      missing: `the template's key 0123456789abcdef is not this configuration's ${key}`,
    });
    rmSync(rekeyed, { recursive: true, force: true });

    // Another memory size is another machine: another key, so this template is not even looked at.
    const smaller = await new QemuSandboxDriver({
      image,
      templatesDir: root,
      memoryMiB: 768,
    }).machine();
    expect(smaller.key).not.toBe(key);
    expect(findTemplate(smaller.key, 768, root)).toEqual({
      missing: 'no template built for this configuration',
    });
  });
});
