/**
 * What goes into the guest image, as data. The rootfs and the initramfs are cached separately,
 * each keyed by a hash of its own recipe: editing the agent rebuilds a small initramfs in
 * seconds, while the package set (a large download) is rebuilt only when it changes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GUEST_DIR, IMAGE_RECIPE_DIR } from '../paths.js';
import { protocolDescription } from '../protocol/json-schema.js';

/** Bump to force a rebuild when the build procedure itself changes. */
const BUILDER_VERSION = 3;

export const ROOTFS_RECIPE = Object.freeze({
  // Debian 13: kernel 6.12 (LTS), BCC 0.31, bpftrace 0.23, clang 19, what current material
  // assumes (block_io_* tracepoints, ring buffers, newer verifier messages).
  suite: 'trixie',
  variant: 'essential',
  components: ['main'],
  packages: [
    // Debian's cloud kernel: kprobes, BTF, BPF LSM; some virtio drivers built in, the rest as
    // (xz-compressed) modules. The headers must be the same version: BCC compiles against them.
    'linux-image-cloud-amd64',
    'linux-headers-cloud-amd64',
    // BCC, as the guide uses it, and the other tools lessons reach for.
    'python3-bpfcc',
    'bpfcc-tools',
    'bpftrace',
    'bpftool',
    // clang and libbpf's headers: what material beyond BCC compiles with (clang -target bpf).
    'clang',
    'libbpf-dev',
    // Tutorials show a program's bpf() calls with strace.
    'strace',
    'tcpdump',
    // objdump disassembles the JIT's machine code for the bytecode view: Debian's bpftool is
    // built without libbfd, so `bpftool prog dump jited` cannot.
    'binutils',
    'iproute2',
    'procps',
    'bash',
    'coreutils',
    'sudo',
    'kmod',
    'less',
    // The essential variant has no mount or init: busybox provides both (and the initramfs).
    'busybox-static',
  ],
  // Documentation and translations are dead weight in a sandbox.
  dpkgExcludes: [
    '/usr/share/man/*',
    '/usr/share/doc/*',
    '/usr/share/locale/*',
    '/usr/share/info/*',
  ],
  // Kept despite the excludes above (dpkg applies path-include after them): BCC's tutorial
  // examples (hello_world.py, tracing/*), which learners run from the shell as the tutorial does.
  // The parent folder must be included too, or dpkg cannot create the examples folder in it.
  dpkgIncludes: ['/usr/share/doc/bpfcc-tools', '/usr/share/doc/bpfcc-tools/examples*'],
  // The kernel's own initramfs is never used (the sandbox has its own), so skip building it.
  dpkgExcludesUnlessNeeded: ['/etc/kernel/postinst.d/initramfs-tools'],
});

/**
 * Kernel modules the initramfs needs, in dependency order. Those the kernel has built in
 * (modules.builtin; on trixie virtio_ring, virtio, virtio_console) are skipped at build time.
 */
export const INITRAMFS_MODULES = [
  'virtio_ring',
  'virtio',
  'virtio_mmio',
  'virtio_blk',
  'virtio_console',
  'overlay',
] as const;

/** Guest files copied into the initramfs payload: [file in runner/guest, path in the guest]. */
export const GUEST_PAYLOAD: readonly (readonly [string, string])[] = [
  ['inittab', 'etc/inittab'],
  ['agent.py', 'opt/ebpf-lab/agent.py'],
  ['bcc_worker.py', 'opt/ebpf-lab/bcc_worker.py'],
  ['bcc_headers.py', 'opt/ebpf-lab/bcc_headers.py'],
  ['run_outputs.py', 'opt/ebpf-lab/run_outputs.py'],
  ['schema_check.py', 'opt/ebpf-lab/schema_check.py'],
  ['guest_limits.py', 'opt/ebpf-lab/guest_limits.py'],
  ['kernel_symbols.py', 'opt/ebpf-lab/kernel_symbols.py'],
  ['attach_hints.py', 'opt/ebpf-lab/attach_hints.py'],
  ['trace_tasks.py', 'opt/ebpf-lab/trace_tasks.py'],
];

export const DEBIAN_MIRROR_DEFAULT = 'http://deb.debian.org/debian';
export const DEBIAN_SECURITY_MIRROR_DEFAULT = 'http://deb.debian.org/debian-security';

/** APT sources for `suite` (the guest image's by default; the Vagrant VM test's is bookworm). */
export function debianSources(
  env: NodeJS.ProcessEnv = process.env,
  suite: string = ROOTFS_RECIPE.suite,
): string[] {
  const mirror = env.EBPF_LAB_DEBIAN_MIRROR || DEBIAN_MIRROR_DEFAULT;
  const security = env.EBPF_LAB_DEBIAN_SECURITY_MIRROR || DEBIAN_SECURITY_MIRROR_DEFAULT;
  const { components } = ROOTFS_RECIPE;
  return [
    `deb ${mirror} ${suite} ${components.join(' ')}`,
    `deb ${mirror} ${suite}-updates ${components.join(' ')}`,
    `deb ${security} ${suite}-security ${components.join(' ')}`,
  ];
}

function sha256(parts: (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 16);
}

export function rootfsRecipeHash(): string {
  return sha256([
    String(BUILDER_VERSION),
    JSON.stringify(ROOTFS_RECIPE),
    readFileSync(join(IMAGE_RECIPE_DIR, 'customize-rootfs.sh')),
  ]);
}

/** The initramfs depends on its rootfs (kernel modules, busybox) and on the agent's files. */
export function initramfsRecipeHash(rootfsHash: string): string {
  return sha256([
    String(BUILDER_VERSION),
    rootfsHash,
    JSON.stringify(INITRAMFS_MODULES),
    JSON.stringify(GUEST_PAYLOAD),
    readFileSync(join(GUEST_DIR, 'initramfs-init.sh')),
    ...GUEST_PAYLOAD.map(([file]) => readFileSync(join(GUEST_DIR, file))),
    JSON.stringify(protocolDescription()),
  ]);
}
