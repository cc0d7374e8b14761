/**
 * Builds the VM template for the qemu driver's machine: boot with the RAM shared in a file,
 * warm the sandbox up (BCC imported, a probe compiled, loaded, attached and fired), pause it and
 * save its device state beside the RAM. Built atomically like the guest image: everything goes
 * into a `.partial-<pid>` folder renamed into place when complete, so a half-built template is
 * never restored.
 */
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProcessAlive, removeStalePartials, runTool } from '../image/build.js';
import { LIMITS } from '../limits.js';
import { QemuSandbox, type QemuSandboxDriver } from './qemu.js';
import {
  findTemplate,
  markTemplateUsed,
  pruneTemplates,
  qemuVersion,
  sha256File,
  type TemplateManifest,
  templateDir,
  templatesDir,
  type VmTemplate,
} from './template-store.js';
import { precompileLessonIncludes, warmUp } from './warm-up.js';

export interface TemplateBuildOptions {
  force?: boolean;
  onProgress?: (text: string) => void;
}

export async function buildTemplate(
  driver: QemuSandboxDriver,
  options: TemplateBuildOptions = {},
): Promise<VmTemplate> {
  const report = options.onProgress ?? (() => {});
  const { config, spec, key } = await driver.machine();
  const root = driver.templatesDir ?? templatesDir();
  const existing = findTemplate(key, config.memoryMiB, root);
  if ('template' in existing && !options.force) {
    report(`template ${key}: cached`);
    markTemplateUsed(existing.template);
    await pruneAndReport(key, root, report);
    return existing.template;
  }
  await mkdir(root, { recursive: true });
  await removeStalePartials(root);
  await removeStaleBuildMemory();
  const partial = join(root, `template-${key}.partial-${process.pid}`);
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial);
  const started = performance.now();
  // The guest runs its build with the RAM shared in a file; on tmpfs, not on disk, where the
  // host's writeback would fault on every page the booting guest writes. The file is copied
  // (sparse: untouched RAM stays holes) into the cache once the template is saved.
  const buildMemory = existsSync('/dev/shm')
    ? join('/dev/shm', `ebpf-lab-template-${key}-${process.pid}.raw`)
    : join(partial, 'memory.raw');
  try {
    report(
      `template ${key}: booting (${config.accel}, ${config.memoryMiB} MiB, ${config.cpus} CPUs)`,
    );
    const sandbox = await QemuSandbox.boot(
      config,
      // Not a learner's wait, and a first boot on a busy machine can take minutes.
      3 * LIMITS.bootTimeoutMs.value,
      {},
      { templateMemory: buildMemory },
    );
    try {
      report(`template ${key}: warming up (import BCC, compile, load and attach a probe)`);
      await warmUp(sandbox);
      await precompileLessonIncludes(sandbox, (text) => report(`template ${key}: ${text}`));
      report(`template ${key}: saving`);
      await sandbox.saveState(join(partial, 'state.bin'));
    } finally {
      await sandbox.stop();
    }
    if (buildMemory !== join(partial, 'memory.raw')) {
      await runTool('cp', ['--sparse=always', buildMemory, join(partial, 'memory.raw')]);
    }
    // The RAM file holds the guest's memory in the page cache: make it durable before the
    // template can be found, so a host crash cannot leave a template with half its RAM.
    const memory = await open(join(partial, 'memory.raw'), 'r+');
    await memory.sync().finally(() => memory.close());
    const manifest: TemplateManifest = {
      key,
      imageId: spec.imageId,
      accel: spec.accel,
      memoryMiB: spec.memoryMiB,
      cpus: spec.cpus,
      qemuVersion: qemuVersion(),
      stateSha256: sha256File(join(partial, 'state.bin')),
      builtAt: new Date().toISOString(),
      buildMs: Math.round(performance.now() - started),
    };
    await writeFile(join(partial, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const final = templateDir(key, root);
    await rm(final, { recursive: true, force: true });
    await rename(partial, final);
  } finally {
    await rm(partial, { recursive: true, force: true });
    await rm(buildMemory, { force: true });
  }
  await pruneAndReport(key, root, report);
  const built = findTemplate(key, config.memoryMiB, root);
  if ('missing' in built) throw new Error(`the template build finished but ${built.missing}`);
  report(`template ${key}: ready (${Math.round(performance.now() - started)} ms)`);
  return built.template;
}

async function pruneAndReport(key: string, root: string, report: (text: string) => void) {
  const pruned = await pruneTemplates(key, root);
  if (pruned > 0) {
    report(`removed ${pruned} template(s) of guest images no longer cached or unused for 7 days`);
  }
}

/** RAM files of template builds whose process died before cleaning up (1 GiB of tmpfs each). */
async function removeStaleBuildMemory(): Promise<void> {
  if (!existsSync('/dev/shm')) return;
  for (const entry of await readdir('/dev/shm')) {
    const match = /^ebpf-lab-template-[0-9a-f]+-(\d+)\.raw$/.exec(entry);
    if (match && !isProcessAlive(Number(match[1])))
      await rm(join('/dev/shm', entry), { force: true });
  }
}
