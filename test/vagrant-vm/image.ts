/**
 * The disk images of the Vagrant-equivalent test VM (see README.md here):
 *
 * - the base image: a clean Debian 12 (bookworm) root made with mmdebstrap, booted by systemd,
 *   with Debian's cloud kernel and its initramfs, ifupdown/DHCP networking and the units that
 *   stand in for `vagrant up`. Cached under `<cache>/vagrant-vm/`, keyed by a hash of its recipe
 *   (this file's recipe, the two shell scripts, the extra CA certificates), rebuilt after
 *   `MAX_AGE_DAYS` (the archive moves on: the headers for an old kernel leave it), built
 *   atomically. The VM boots it with `snapshot=on`: it is never modified.
 * - the repository disk: this checkout as Vagrant's rsync synced folder would copy it (minus
 *   .git/, node_modules/, dist/, test-results/, .vagrant/; owned by the `vagrant` user), made
 *   fresh for every boot, so editing the repository never rebuilds the base image.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeStalePartials, runTool } from '../../runner/image/build.js';
import { debianSources } from '../../runner/image/recipe.js';
import { cacheRoot, PACKAGE_ROOT } from '../../runner/paths.js';

const HERE = join(PACKAGE_ROOT, 'test', 'vagrant-vm');
const BUILDER_VERSION = 1;
/** Older base images are rebuilt: Debian replaces its kernel and drops the old headers. */
export const MAX_AGE_DAYS = 7;

export const VM_RECIPE = Object.freeze({
  suite: 'bookworm',
  // essential + required + important: what debootstrap installs, the base of Debian's boxes.
  variant: 'important',
  packages: [
    'systemd-sysv',
    'udev',
    'linux-image-cloud-amd64',
    'initramfs-tools',
    'ifupdown',
    'isc-dhcp-client',
    'ca-certificates',
  ],
  rootSizeMiB: 12 * 1024,
  label: 'ebpf-lab-vm',
});

/** What Vagrant's rsync leaves out (the Vagrantfile's rsync__exclude, plus its own .vagrant/). */
export const SYNC_EXCLUDES = ['.git/', 'node_modules/', 'dist/', 'test-results/', '.vagrant/'];
export const REPO_LABEL = 'ebpf-lab-repo';
export const TOOLS_LABEL = 'ebpf-lab-tools';
const VAGRANT_UID = 1000;

export interface VmImage {
  dir: string;
  root: string;
  kernel: string;
  initrd: string;
  kernelRelease: string;
  builtAt: string;
}

type Report = (line: string) => void;

export function vmCacheDir(): string {
  return join(cacheRoot(), 'vagrant-vm');
}

/** CA certificates this host adds to Debian's (`EBPF_LAB_VM_EXTRA_CA_DIR` to choose others). */
function extraCaFiles(): string[] {
  const dir = process.env.EBPF_LAB_VM_EXTRA_CA_DIR ?? '/usr/local/share/ca-certificates';
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.crt'))
    .sort()
    .map((name) => join(dir, name));
}

export function vmImageHash(): string {
  const hash = createHash('sha256');
  for (const part of [
    String(BUILDER_VERSION),
    JSON.stringify(VM_RECIPE),
    JSON.stringify(debianSources(process.env, VM_RECIPE.suite)),
    readFileSync(join(HERE, 'customize-root.sh')),
    readFileSync(join(HERE, 'vm-provision.sh')),
    ...extraCaFiles().map((file) => readFileSync(file)),
  ]) {
    hash.update(part).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

function imageDir(hash: string): string {
  return join(vmCacheDir(), `base-${hash}`);
}

export function findVmImage(): VmImage | undefined {
  const dir = imageDir(vmImageHash());
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    kernelRelease: string;
    builtAt: string;
  };
  if (Date.now() - Date.parse(manifest.builtAt) > MAX_AGE_DAYS * 86_400_000) return undefined;
  return {
    dir,
    root: join(dir, 'root.ext4'),
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
    ...manifest,
  };
}

/** The cached base image, built first when missing or stale. */
export async function getVmImage(report: Report = () => {}): Promise<VmImage> {
  const cached = findVmImage();
  if (cached) {
    report(`base image cached: ${cached.dir} (built ${cached.builtAt})`);
    return cached;
  }
  await buildVmImage(report);
  const built = findVmImage();
  if (!built) throw new Error('the VM image build finished but the image is incomplete');
  return built;
}

async function buildVmImage(report: Report): Promise<void> {
  const hash = vmImageHash();
  await mkdir(vmCacheDir(), { recursive: true });
  await removeStale(hash);
  const partial = join(vmCacheDir(), `base-${hash}.partial-${process.pid}`);
  const tree = join(partial, 'tree');
  const extraCa = join(partial, 'extra-ca');
  await mkdir(extraCa, { recursive: true });
  try {
    for (const file of extraCaFiles()) {
      await copyFile(file, join(extraCa, file.split('/').at(-1) as string));
    }
    report(`mmdebstrap: Debian ${VM_RECIPE.suite} (${VM_RECIPE.variant}) with systemd`);
    await runTool(
      'mmdebstrap',
      [
        `--variant=${VM_RECIPE.variant}`,
        `--include=${VM_RECIPE.packages.join(',')}`,
        `--customize-hook=sh ${shellQuote(join(HERE, 'customize-root.sh'))} "$1" ${shellQuote(HERE)} ${shellQuote(extraCa)}`,
        VM_RECIPE.suite,
        tree,
        ...debianSources(process.env, VM_RECIPE.suite),
      ],
      report,
    );
    const releases = await readdir(join(tree, 'lib', 'modules'));
    const kernelRelease = releases[0];
    if (releases.length !== 1 || !kernelRelease) {
      throw new Error(`expected one kernel in the VM root, found: ${releases.join(', ')}`);
    }
    await copyFile(join(tree, 'boot', `vmlinuz-${kernelRelease}`), join(partial, 'vmlinuz'));
    await copyFile(join(tree, 'boot', `initrd.img-${kernelRelease}`), join(partial, 'initrd.img'));
    report(`mke2fs: ${VM_RECIPE.rootSizeMiB} MiB ext4 root (sparse), kernel ${kernelRelease}`);
    await runTool('mke2fs', [
      '-q',
      '-t',
      'ext4',
      '-L',
      VM_RECIPE.label,
      '-d',
      tree,
      join(partial, 'root.ext4'),
      `${VM_RECIPE.rootSizeMiB}M`,
    ]);
    await rm(tree, { recursive: true, force: true });
    await rm(extraCa, { recursive: true, force: true });
    const manifest = { kernelRelease, builtAt: new Date().toISOString() };
    await writeFile(join(partial, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    // Another process may have finished the same build meanwhile (and be booting it): keep it.
    if (!existsSync(join(imageDir(hash), 'manifest.json'))) {
      await rm(imageDir(hash), { recursive: true, force: true });
      await rename(partial, imageDir(hash));
    }
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

/** Removes interrupted builds of dead processes and base images of other recipes. */
async function removeStale(keepHash: string): Promise<void> {
  await removeStalePartials(vmCacheDir());
  for (const entry of await readdir(vmCacheDir())) {
    if (/^base-[0-9a-f]+$/.test(entry) && entry !== `base-${keepHash}`) {
      await rm(join(vmCacheDir(), entry), { recursive: true, force: true });
    }
  }
}

/**
 * The repository disk (an ext4 image labelled `ebpf-lab-repo`) in `dir`: this checkout copied
 * the way the Vagrantfile's rsync synced folder copies it, owned by the `vagrant` user.
 */
export async function makeRepoDisk(dir: string): Promise<string> {
  const staging = join(dir, 'repo');
  await mkdir(staging, { recursive: true });
  await runTool('rsync', [
    '--archive',
    '--copy-links',
    ...SYNC_EXCLUDES.map((pattern) => `--exclude=${pattern}`),
    `${PACKAGE_ROOT}/`,
    `${staging}/`,
  ]);
  await runTool('chown', ['-R', `${VAGRANT_UID}:${VAGRANT_UID}`, staging]);
  return diskFromFolder(staging, join(dir, 'repo.ext4'), REPO_LABEL);
}

/**
 * The test tools disk (labelled `ebpf-lab-tools`) in `dir`: the test tooling as this host runs
 * it, its Node.js binary and its node_modules (installed by `npm ci` from the same lockfile).
 * The provisioned lab runs on Debian 12's Node.js 18, and there npm leaves out the packages that
 * need 20, rolldown's native binding among them, without which vitest cannot start. Not part of
 * what Vagrant gives the VM: only the contract step (local-contract.sh) mounts it. Writable:
 * vitest keeps its cache in node_modules; the disk is thrown away with the run folder.
 */
export async function makeToolsDisk(dir: string): Promise<string> {
  const staging = join(dir, 'tools');
  await mkdir(staging, { recursive: true });
  await copyFile(process.execPath, join(staging, 'node'));
  await chmod(join(staging, 'node'), 0o755);
  await runTool('rsync', [
    '--archive',
    // The editor (client bundle only) and the linter: the largest, and no test in the VM
    // loads them.
    '--exclude=/monaco-editor/',
    '--exclude=/@biomejs/',
    `${join(PACKAGE_ROOT, 'node_modules')}/`,
    `${join(staging, 'node_modules')}/`,
  ]);
  return diskFromFolder(staging, join(dir, 'tools.ext4'), TOOLS_LABEL);
}

/** An ext4 image of `staging` (twice its size, plus slack), made without mounting. */
async function diskFromFolder(staging: string, disk: string, label: string): Promise<string> {
  const sizeMiB = Math.ceil(Number(await duBytes(staging)) / 1024 / 1024) * 2 + 32;
  await runTool('mke2fs', ['-q', '-t', 'ext4', '-L', label, '-d', staging, disk, `${sizeMiB}M`]);
  // The disk holds it all now.
  await rm(staging, { recursive: true, force: true });
  return disk;
}

async function duBytes(dir: string): Promise<string> {
  let out = '';
  await runTool('du', ['-s', '-B1', dir], (line) => {
    out = line;
  });
  return out.split(/\s/)[0] ?? '0';
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** For diagnostics: when the cached base image was built, if there is one. */
export function describeVmImage(image: VmImage): string {
  const size = statSync(image.root).blocks * 512;
  return `${image.dir}: kernel ${image.kernelRelease}, built ${image.builtAt}, ${(size / 2 ** 30).toFixed(2)} GiB used`;
}
