/**
 * Builds the guest image from Debian packages: a rootfs (kernel, headers, BCC; an ext4 image
 * mounted read-only by the sandbox) and a tiny initramfs (busybox, virtio modules, the agent).
 *
 * Builds are atomic: each goes into a `.partial-*` folder that is renamed into place only when
 * complete, so an interrupted or failed build is never picked up by a later run.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  chmod,
  copyFile,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { basename, join } from 'node:path';
import { cacheRoot, GUEST_DIR, IMAGE_RECIPE_DIR } from '../paths.js';
import { protocolDescription } from '../protocol/json-schema.js';
import { decompressInPlace, formatOfData, formatOfName } from './compression.js';
import {
  type ModulePlan,
  moduleName,
  parseModulesBuiltin,
  parseModulesDep,
  planModules,
} from './kernel-modules.js';
import { parseDpkgStatus, type ToolVersion, toolVersions } from './package-versions.js';
import {
  debianSources,
  GUEST_PAYLOAD,
  INITRAMFS_MODULES,
  initramfsRecipeHash,
  ROOTFS_RECIPE,
  rootfsRecipeHash,
} from './recipe.js';

/** A complete, bootable guest image. */
export interface GuestImage {
  kernel: string;
  initramfs: string;
  rootfs: string;
  kernelRelease: string;
  /** Debian release the rootfs was built from (`trixie`). */
  suite: string;
  /** Versions of the kernel, BCC, bpftrace, bpftool, clang/LLVM and Python in the image. */
  tools: ToolVersion[];
  /** Identifies this exact image (rootfs + initramfs recipes). */
  id: string;
}

export interface BuildProgress {
  stage: string;
  detail?: string;
  elapsedMs: number;
}

export type ProgressListener = (progress: BuildProgress) => void;

interface RootfsManifest {
  kernelRelease: string;
  builtAt: string;
  suite: string;
  tools: ToolVersion[];
  /** Initramfs modules: files to load in order (names), and the wanted ones built in. */
  modules: { load: string[]; builtin: string[] };
}

/** In the guest: the image's tool versions, which the agent reports in its `ready` message. */
export const GUEST_TOOLS_FILE = 'etc/ebpf-lab/tools.json';
/** In the rootfs cache folder and the initramfs: module names to insmod, one a line. */
const MODULE_ORDER_FILE = 'load-order';

export function imagesDir(): string {
  return join(cacheRoot(), 'images');
}

function rootfsDir(hash: string): string {
  return join(imagesDir(), `rootfs-${hash}`);
}

function initramfsPath(hash: string): string {
  return join(imagesDir(), `initramfs-${hash}.cpio`);
}

/** The cached image for the current recipe, or undefined when it still has to be built. */
export async function findImage(): Promise<GuestImage | undefined> {
  const rootHash = rootfsRecipeHash();
  const dir = rootfsDir(rootHash);
  const initHash = initramfsRecipeHash(rootHash);
  const initramfs = initramfsPath(initHash);
  if (!existsSync(join(dir, 'manifest.json')) || !existsSync(initramfs)) return undefined;
  await markUsed([dir, initramfs]);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as RootfsManifest;
  return {
    kernel: join(dir, 'vmlinux'),
    initramfs,
    rootfs: join(dir, 'rootfs.ext4'),
    kernelRelease: manifest.kernelRelease,
    suite: manifest.suite ?? 'bookworm',
    tools: manifest.tools ?? [],
    id: `${rootHash}-${initHash}`,
  };
}

export class ImageBuildError extends Error {}

/** Builds whatever part of the image is missing (or everything, with `force`). */
export async function buildImage(
  options: { force?: boolean; onProgress?: ProgressListener } = {},
): Promise<GuestImage> {
  const started = Date.now();
  const report = (stage: string, detail?: string) =>
    options.onProgress?.({ stage, detail, elapsedMs: Date.now() - started });
  await mkdir(imagesDir(), { recursive: true });
  await removeStalePartials(imagesDir());

  const rootHash = rootfsRecipeHash();
  if (options.force || !existsSync(join(rootfsDir(rootHash), 'manifest.json'))) {
    await buildRootfs(rootHash, report);
  } else {
    report('rootfs', 'cached');
  }
  const initHash = initramfsRecipeHash(rootHash);
  if (options.force || !existsSync(initramfsPath(initHash))) {
    await buildInitramfs(rootHash, initHash, report);
  } else {
    report('initramfs', 'cached');
  }
  const image = await findImage();
  if (!image) throw new ImageBuildError('the image build finished but the image is incomplete');
  const pruned = await pruneOtherImages([rootfsDir(rootHash), initramfsPath(initHash)]);
  if (pruned > 0) {
    report('cache', `removed ${pruned} image part(s) of other recipes, unused for 7 days`);
  }
  report('done', image.id);
  return image;
}

/** An image part nobody has used for this long is pruned by the next build. */
export const PRUNE_UNUSED_MS = 7 * 86_400_000;

/** Records that an image part is in use (its mtime), so a build elsewhere does not prune it. */
async function markUsed(paths: string[]): Promise<void> {
  const now = new Date();
  await Promise.all(paths.map((path) => utimes(path, now, now).catch(() => undefined)));
}

/**
 * Removes images built from other recipes that nobody has used for PRUNE_UNUSED_MS: a root
 * file system is about 1 GB, and every recipe change would otherwise leave one behind. Only
 * unused ones go, because one cache serves every checkout on the machine: two work trees on
 * different recipes (or a test run beside a build) must not delete each other's image.
 */
export async function pruneOtherImages(keep: string[], now = Date.now()): Promise<number> {
  let removed = 0;
  for (const entry of await readdir(imagesDir())) {
    const path = join(imagesDir(), entry);
    if (keep.includes(path) || entry.includes('.partial-')) continue;
    if (!/^(rootfs-[0-9a-f]+|initramfs-[0-9a-f]+\.cpio)$/.test(entry)) continue;
    const lastUsed = (await stat(path)).mtimeMs;
    if (now - lastUsed < PRUNE_UNUSED_MS) continue;
    await rm(path, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

async function buildRootfs(hash: string, report: (stage: string, detail?: string) => void) {
  const partial = join(imagesDir(), `rootfs-${hash}.partial-${process.pid}`);
  const tree = join(partial, 'tree');
  await mkdir(partial, { recursive: true });
  try {
    report('rootfs', `mmdebstrap: Debian ${ROOTFS_RECIPE.suite} with BCC and kernel headers`);
    await runTool(
      'mmdebstrap',
      [
        `--variant=${ROOTFS_RECIPE.variant}`,
        `--include=${ROOTFS_RECIPE.packages.join(',')}`,
        ...[...ROOTFS_RECIPE.dpkgExcludes, ...ROOTFS_RECIPE.dpkgExcludesUnlessNeeded].map(
          (path) => `--dpkgopt=path-exclude=${path}`,
        ),
        ...ROOTFS_RECIPE.dpkgIncludes.map((path) => `--dpkgopt=path-include=${path}`),
        // An executable path is exec-ed directly with the root as $1: no shell involved.
        `--customize-hook=${join(IMAGE_RECIPE_DIR, 'customize-rootfs.sh')}`,
        ROOTFS_RECIPE.suite,
        tree,
        ...debianSources(),
      ],
      (line) => report('rootfs', line),
    );

    const releases = await readdir(join(tree, 'lib', 'modules'));
    const kernelRelease = releases[0];
    if (releases.length !== 1 || !kernelRelease) {
      throw new ImageBuildError(`expected one kernel in the rootfs, found: ${releases.join(', ')}`);
    }
    report('rootfs', `kernel ${kernelRelease}`);
    await extractKernel(join(tree, 'boot', `vmlinuz-${kernelRelease}`), join(partial, 'vmlinux'));
    await copyFile(join(tree, 'bin', 'busybox'), join(partial, 'busybox'));
    await chmod(join(partial, 'busybox'), 0o755);
    const modules = await copyInitramfsModules(
      join(tree, 'lib', 'modules', kernelRelease),
      kernelRelease,
      join(partial, 'modules'),
    );
    if (modules.builtin.length > 0) {
      report('rootfs', `built into the kernel: ${modules.builtin.join(', ')}`);
    }
    const tools = toolVersions(
      parseDpkgStatus(await readFile(join(tree, 'var', 'lib', 'dpkg', 'status'), 'utf8')),
    );
    report('rootfs', tools.map((t) => `${t.tool} ${t.version}`).join(', '));
    await mkdir(join(tree, GUEST_TOOLS_FILE, '..'), { recursive: true });
    await writeFile(join(tree, GUEST_TOOLS_FILE), `${JSON.stringify(tools, null, 2)}\n`);
    // The kernel lives outside the root image; the guest never needs its own copy.
    await rm(join(tree, 'boot'), { recursive: true, force: true });
    await mkdir(join(tree, 'boot'));

    const sizeMiB = Math.ceil((await duBytes(tree)) / (1024 * 1024) / 0.85) + 64;
    report('rootfs', `mke2fs: ${sizeMiB} MiB ext4 image`);
    await runTool('mke2fs', [
      '-q',
      '-t',
      'ext4',
      '-O',
      '^has_journal',
      '-m',
      '0',
      '-L',
      'ebpf-lab',
      '-d',
      tree,
      join(partial, 'rootfs.ext4'),
      `${sizeMiB}M`,
    ]);
    await rm(tree, { recursive: true, force: true });
    const manifest: RootfsManifest = {
      kernelRelease,
      builtAt: new Date().toISOString(),
      suite: ROOTFS_RECIPE.suite,
      tools,
      modules,
    };
    await writeFile(join(partial, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await rm(rootfsDir(hash), { recursive: true, force: true });
    await rename(partial, rootfsDir(hash));
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}

async function buildInitramfs(
  rootHash: string,
  hash: string,
  report: (stage: string, detail?: string) => void,
) {
  report('initramfs', 'busybox, virtio modules, agent');
  const root = rootfsDir(rootHash);
  const partial = join(imagesDir(), `initramfs-${hash}.partial-${process.pid}`);
  const stage = join(partial, 'tree');
  try {
    for (const dir of ['bin', 'modules', 'proc', 'sys', 'dev', 'ro', 'rw', 'newroot']) {
      await mkdir(join(stage, dir), { recursive: true });
    }
    await copyFile(join(root, 'busybox'), join(stage, 'bin', 'busybox'));
    await chmod(join(stage, 'bin', 'busybox'), 0o755);
    const order = await readFile(join(root, 'modules', MODULE_ORDER_FILE), 'utf8');
    for (const name of order.split('\n').filter(Boolean)) {
      await copyFile(join(root, 'modules', `${name}.ko`), join(stage, 'modules', `${name}.ko`));
    }
    await writeFile(join(stage, 'modules', MODULE_ORDER_FILE), order);
    await copyFile(join(GUEST_DIR, 'initramfs-init.sh'), join(stage, 'init'));
    await chmod(join(stage, 'init'), 0o755);
    for (const [file, target] of GUEST_PAYLOAD) {
      const dest = join(stage, 'payload', target);
      await mkdir(join(dest, '..'), { recursive: true });
      await copyFile(join(GUEST_DIR, file), dest);
      await chmod(dest, (await stat(join(GUEST_DIR, file))).mode & 0o777);
    }
    await writeFile(
      join(stage, 'payload', 'opt', 'ebpf-lab', 'protocol.json'),
      JSON.stringify(protocolDescription()),
    );
    // Uncompressed on purpose: decompressing costs more boot time than reading a few MiB.
    const files = await listTree(stage);
    await runTool(
      'cpio',
      ['--quiet', '-o', '-H', 'newc', '-F', join(partial, 'initramfs.cpio')],
      undefined,
      {
        cwd: stage,
        input: `${files.join('\n')}\n`,
      },
    );
    await rename(join(partial, 'initramfs.cpio'), initramfsPath(hash));
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

/**
 * The uncompressed kernel (ELF vmlinux) out of Debian's bzImage. qemu boots it directly through
 * its PVH entry point, skipping the real-mode set-up and the decompressor: about 0.4 s of every
 * boot under software emulation. Debian compresses the payload with LZ4 (bookworm) or zstd
 * (trixie); the format is recognised by its magic bytes.
 *
 * The compressed payload is located through the bzImage setup header (boot protocol 2.08+:
 * `payload_offset` and `payload_length`, relative to the protected-mode code), and the kernel
 * appends the uncompressed size as 4 trailing bytes, which the decompressors reject as garbage.
 */
async function extractKernel(bzImage: string, vmlinux: string) {
  const image = await readFile(bzImage);
  const setupSectors = image.readUInt8(0x1f1) || 4;
  const protectedModeStart = (setupSectors + 1) * 512;
  const payloadStart = protectedModeStart + image.readUInt32LE(0x248);
  const payloadLength = image.readUInt32LE(0x24c);
  const payload = image.subarray(payloadStart, payloadStart + payloadLength - 4);
  const format = formatOfData(payload);
  if (!format) {
    const magic = payload.subarray(0, 6).toString('hex');
    throw new ImageBuildError(
      `${bzImage}: unknown kernel payload compression (magic ${magic}); expected LZ4, zstd, xz or gzip`,
    );
  }
  const payloadFile = `${vmlinux}${format.suffix}`;
  await writeFile(payloadFile, payload);
  await decompressInPlace(format, payloadFile, (command, args) => runTool(command, args));
  const file = await open(vmlinux);
  const { buffer: elf } = await file.read(Buffer.alloc(4), 0, 4, 0).finally(() => file.close());
  if (!elf.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) {
    throw new ImageBuildError(`${bzImage}: the decompressed kernel is not an ELF file`);
  }
}

/**
 * Copies the module files the initramfs loads into `dest` as plain `.ko` (busybox's insmod
 * cannot read xz), with their load order in `dest/load-order`; skips the ones the kernel has
 * built in, and fails when one is neither.
 */
async function copyInitramfsModules(
  moduleRoot: string,
  kernelRelease: string,
  dest: string,
): Promise<{ load: string[]; builtin: string[] }> {
  const deps = parseModulesDep(await readFile(join(moduleRoot, 'modules.dep'), 'utf8'));
  const builtin = parseModulesBuiltin(await readFile(join(moduleRoot, 'modules.builtin'), 'utf8'));
  let plan: ModulePlan;
  try {
    plan = planModules(INITRAMFS_MODULES, deps, builtin, kernelRelease);
  } catch (error) {
    throw new ImageBuildError((error as Error).message, { cause: error });
  }
  await mkdir(dest, { recursive: true });
  const names: string[] = [];
  for (const path of plan.load) {
    const file = basename(path);
    const name = moduleName(path);
    const copy = join(dest, file);
    await copyFile(join(moduleRoot, path), copy);
    const format = formatOfName(file);
    const plain = format
      ? await decompressInPlace(format, copy, (command, args) => runTool(command, args))
      : copy;
    await rename(plain, join(dest, `${name}.ko`));
    names.push(name);
  }
  await writeFile(join(dest, MODULE_ORDER_FILE), `${names.join('\n')}\n`);
  return { load: names, builtin: plan.builtin };
}

/** Removes the `*.partial-<pid>` folders in `dir` of builds whose process died. */
export async function removeStalePartials(dir: string): Promise<void> {
  for (const entry of await readdir(dir)) {
    const match = /\.partial-(\d+)$/.exec(entry);
    if (match && !isProcessAlive(Number(match[1]))) {
      await rm(join(dir, entry), { recursive: true, force: true });
    }
  }
}

/** Whether process `pid` exists (EPERM: it does, but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Relative paths of everything under `dir`, parents before children (as cpio needs). */
async function listTree(dir: string, prefix = '.'): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const path = `${prefix}/${entry.name}`;
    out.push(path);
    if (entry.isDirectory()) out.push(...(await listTree(dir, path)));
  }
  return out;
}

async function duBytes(dir: string): Promise<number> {
  let output = '';
  await runTool('du', ['-s', '-B1', dir], (line) => {
    output = line;
  });
  return Number.parseInt(output, 10);
}

/** Runs a build tool with an argv array; each output line goes to `onLine`. */
export function runTool(
  command: string,
  args: string[],
  onLine?: (line: string) => void,
  options: { cwd?: string; input?: string } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        const trimmed = line.trim();
        if (!trimmed) continue;
        tail.push(trimmed);
        if (tail.length > 20) tail.shift();
        onLine?.(trimmed);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) =>
      reject(new ImageBuildError(`cannot run ${command}: ${error.message}`, { cause: error })),
    );
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      reject(
        new ImageBuildError(
          `${command} failed (${signal ?? `exit ${code}`}):\n  ${tail.slice(-10).join('\n  ')}`,
        ),
      );
    });
    // A tool that exits without reading its input (most of them, on an error) closes the pipe:
    // the exit code reports the failure, so EPIPE here is not a second one.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(new ImageBuildError(`${command}: ${error.message}`));
    });
    child.stdin.end(options.input ?? '');
  });
}
