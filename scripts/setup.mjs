// Makes a fresh Debian/Ubuntu machine ready to run ebpf-lab: system packages, npm dependencies,
// the TypeScript build, the browser client bundle and the sandbox's guest image. Safe to re-run; every step is quick when
// there is nothing to do. `npm start` and `npm test` run it first.
//
// Plain Node ESM with built-ins only: it must work on a fresh clone, before `npm ci`.
//
// Environment:
//   EBPF_LAB_SKIP_IMAGE=1  skip the guest-image step, for quick unit-test-only runs.

import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root; every path below is relative to it, whatever the cwd. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Debian/Ubuntu packages the lab needs on the host. */
export const SYSTEM_PACKAGES = [
  // Runs the sandbox microVM that learners' probes execute in.
  'qemu-system-x86',
  // Build the guest image: root filesystem, initramfs archive, ext4 image; zstd (trixie) or
  // lz4 (bookworm) to unpack the kernel for direct (PVH) boot, and xz for the `.ko.xz` modules
  // the initramfs loads. Busybox comes from the guest's own packages.
  'mmdebstrap',
  'e2fsprogs',
  'cpio',
  'zstd',
  'lz4',
  'xz-utils',
  // `setpriv --pdeathsig`, so a qemu never outlives the process that started it.
  'util-linux',
  // Runs the guest agent's protocol test on the host.
  'python3',
];

/**
 * Only `npm test` needs these: the browser tests drive Debian's Chromium; the Vagrant tests
 * validate the Vagrantfile (with the libvirt provider), shellcheck the provisioning script, and
 * copy the repository and test tools onto the Vagrant-equivalent VM's disks with rsync.
 */
export const TEST_PACKAGES = ['chromium', 'vagrant', 'vagrant-libvirt', 'shellcheck', 'rsync'];

const APT_INSTALL_ARGS = ['install', '-y', '--no-install-recommends'];

/** Absolute path of a tool installed by npm. */
export function npmBin(name) {
  return path.join(ROOT, 'node_modules', '.bin', name);
}

/** Whether `name` is an executable on PATH. */
export function hasCommand(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/**
 * Runs a command from the repo root with its output streaming through.
 * Resolves to `{ code, signal }`; rejects only when the command cannot be started.
 */
export function runInherit(cmd, args, { env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      stdio: 'inherit',
      env: env ? { ...process.env, ...env } : process.env,
    });
    child.on('error', (err) => reject(new Error(`could not start ${cmd}: ${err.message}`)));
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
}

/** Like runInherit, but rejects unless the command exits 0. `label` names it in the error. */
async function mustRun(label, cmd, args, options) {
  const { code, signal } = await runInherit(cmd, args, options);
  if (code !== 0) {
    throw new Error(`${label} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`);
  }
}

function isInstalled(pkg) {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax.
  const res = spawnSync('dpkg-query', ['-W', '-f=${db:Status-Status}\\n', pkg], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  if (res.error || res.status !== 0) return false;
  return res.stdout.split('\n').includes('installed');
}

export function missingPackages(pkgs = SYSTEM_PACKAGES) {
  return pkgs.filter((pkg) => !isInstalled(pkg));
}

async function systemPackages(packages) {
  const missing = missingPackages(packages);
  if (missing.length === 0) return 'ok';
  const list = missing.join(' ');
  if (!hasCommand('apt-get')) {
    throw new Error(
      `missing system packages: ${list}. Installing them needs Debian or Ubuntu ` +
        '(or use the Vagrant VM, see README).',
    );
  }
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  if (process.getuid?.() === 0) {
    console.log(`missing: ${list}; installing with apt-get`);
    await mustRun('apt-get update', 'apt-get', ['update']);
    await mustRun('apt-get install', 'apt-get', [...APT_INSTALL_ARGS, ...missing], { env });
  } else if (hasCommand('sudo')) {
    // sudo resets the environment, so the variable goes on its command line.
    const update = ['sudo', 'apt-get', 'update'];
    const install = ['sudo', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...APT_INSTALL_ARGS];
    install.push(...missing);
    console.log(`missing: ${list}; installing with sudo (it may ask for your password):`);
    console.log(`  ${update.join(' ')}`);
    await mustRun('sudo apt-get update', update[0], update.slice(1));
    console.log(`  ${install.join(' ')}`);
    await mustRun('sudo apt-get install', install[0], install.slice(1));
  } else {
    throw new Error(
      `missing system packages: ${list}. Install them as root, then re-run:\n` +
        `  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get ${APT_INSTALL_ARGS.join(' ')} ${list}`,
    );
  }
  const still = missingPackages(missing);
  if (still.length > 0) throw new Error(`still not installed after apt-get: ${still.join(' ')}`);
  return `ok, installed ${list}`;
}

function mtimeMs(file) {
  try {
    return statSync(path.join(ROOT, file)).mtimeMs;
  } catch {
    return undefined;
  }
}

async function npmDependencies() {
  const lock = mtimeMs('package-lock.json');
  if (lock === undefined) throw new Error('package-lock.json is missing');
  const installed = mtimeMs('node_modules/.package-lock.json');
  if (installed !== undefined && installed >= lock) return 'up to date';
  await mustRun('npm ci', 'npm', ['ci', '--no-audit', '--no-fund']);
  return 'ok';
}

async function build() {
  await mustRun('tsc', npmBin('tsc'), ['-p', 'tsconfig.build.json']);
  return 'ok';
}

async function clientBundle() {
  await mustRun('client build', process.execPath, ['scripts/build-client.mjs']);
  return 'ok';
}

async function guestImage() {
  if (process.env.EBPF_LAB_SKIP_IMAGE === '1') return 'skipped (EBPF_LAB_SKIP_IMAGE=1)';
  await mustRun('ebpf-lab image build', process.execPath, ['bin/ebpf-lab.js', 'image', 'build']);
  return 'ok';
}

const STEPS = [
  [
    'system packages',
    ({ forTests }) =>
      systemPackages(forTests ? [...SYSTEM_PACKAGES, ...TEST_PACKAGES] : SYSTEM_PACKAGES),
  ],
  ['npm dependencies', npmDependencies],
  ['build', build],
  ['client bundle', clientBundle],
  ['guest image', guestImage],
];

/**
 * Runs every set-up step in order; throws `setup failed at step N (name): reason` on failure.
 * `forTests` adds what only the tests need (Chromium).
 */
export async function setup({ forTests = false } = {}) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20) {
    throw new Error(`setup failed: Node.js >= 20 is required, this is ${process.version}`);
  }
  for (const [i, [name, fn]] of STEPS.entries()) {
    const tag = `[setup ${i + 1}/${STEPS.length}] ${name} …`;
    console.log(tag);
    const started = performance.now();
    let status;
    try {
      status = await fn({ forTests });
    } catch (err) {
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`${tag} FAILED (${seconds} s)`);
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`setup failed at step ${i + 1} (${name}): ${reason}`);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${tag} ${status} (${seconds} s)`);
  }
}

function isMain() {
  if (!process.argv[1]) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  try {
    await setup();
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  }
}
