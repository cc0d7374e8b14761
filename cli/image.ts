/** `ebpf-lab image build|status|info`: the guest image the sandbox boots. */
import { parseArgs } from 'node:util';
import { buildImage, findImage, type GuestImage, imagesDir } from '../runner/image/build.js';
import { upstreamVersion } from '../runner/image/package-versions.js';
import { QemuSandboxDriver } from '../runner/sandbox/qemu.js';
import { buildTemplate } from '../runner/sandbox/template-build.js';
import { findTemplate, templatesDir } from '../runner/sandbox/template-store.js';
import { progressLine } from './progress.js';
import { UsageError } from './usage.js';

export const IMAGE_USAGE = `Usage: ebpf-lab image build [--force] [--no-template]
       ebpf-lab image status
       ebpf-lab image info [--json]

  build    Build the guest image (Debian kernel, BCC, agent) unless it is cached, then the
           VM template sandboxes are restored from (a warm sandbox frozen once).
           --force rebuilds both even when cached; --no-template skips the template.
  status   Print whether the image and its template are cached, and where.
  info     Print the image's Debian release and the versions of its kernel, BCC, bpftrace,
           bpftool, clang/LLVM, libbpf and Python (--json: as one JSON object).`;

export async function imageCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'build') {
    const { values } = parseArgs({
      args: rest,
      options: { force: { type: 'boolean' }, 'no-template': { type: 'boolean' } },
    });
    const image = await buildImage({
      force: values.force,
      onProgress: (p) =>
        progressLine('image', p.detail ? `${p.stage}: ${p.detail}` : p.stage, p.elapsedMs),
    });
    process.stdout.write(`guest image ready: ${image.id} (kernel ${image.kernelRelease})\n`);
    if (values['no-template']) return 0;
    const started = Date.now();
    try {
      const template = await buildTemplate(new QemuSandboxDriver({ image }), {
        force: values.force,
        onProgress: (text) => progressLine('template', text, Date.now() - started),
      });
      process.stdout.write(`VM template ready: ${template.manifest.key} (${template.dir})\n`);
    } catch (error) {
      // The image is what sandboxes need; without a template they boot cold (slower, same
      // lab), so a failed template build is reported loudly but does not fail the set-up.
      process.stderr.write(
        `ebpf-lab image: the VM template could not be built (${(error as Error).message.split('\n')[0]}); sandboxes will boot cold\n`,
      );
    }
    return 0;
  }
  if (action === 'status') {
    parseArgs({ args: rest, options: {} });
    const image = await findImage();
    if (!image) {
      process.stdout.write(`not built (cache: ${imagesDir()}); run: ebpf-lab image build\n`);
      return 1;
    }
    process.stdout.write(
      `built: ${image.id}\n  kernel ${image.kernelRelease}: ${image.kernel}\n  initramfs: ${image.initramfs}\n  rootfs: ${image.rootfs}\n`,
    );
    const { config, key } = await new QemuSandboxDriver({ image }).machine();
    const found = findTemplate(key, config.memoryMiB);
    if ('missing' in found) {
      process.stdout.write(
        `template ${key}: none (${found.missing}; cache: ${templatesDir()}); sandboxes boot cold until \`ebpf-lab image build\` builds it\n`,
      );
    } else {
      const m = found.template.manifest;
      process.stdout.write(
        `template ${key}: ready, sandboxes start from it (${m.accel}, ${m.memoryMiB} MiB, ${m.cpus} CPUs, ${m.qemuVersion}; built ${m.builtAt} in ${(m.buildMs / 1000).toFixed(1)} s)\n  ${found.template.dir}\n`,
      );
    }
    return 0;
  }
  if (action === 'info') {
    const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
    const image = await findImage();
    if (!image) {
      process.stderr.write(`not built (cache: ${imagesDir()}); run: ebpf-lab image build\n`);
      return 1;
    }
    if (values.json) {
      const { id, suite, kernelRelease, tools } = image;
      process.stdout.write(`${JSON.stringify({ id, suite, kernelRelease, tools })}\n`);
      return 0;
    }
    process.stdout.write(`${formatImageInfo(image)}\n`);
    return 0;
  }
  throw new UsageError(IMAGE_USAGE);
}

/** The image, then one aligned line per tool: name, upstream version, Debian package (version). */
export function formatImageInfo(
  image: Pick<GuestImage, 'id' | 'suite' | 'kernelRelease' | 'tools'>,
): string {
  const lines = [`guest image ${image.id}: Debian ${image.suite}, kernel ${image.kernelRelease}`];
  if (image.tools.length === 0) {
    lines.push(
      '  (no tool versions recorded: built before they were; ebpf-lab image build --force)',
    );
  }
  const width = Math.max(0, ...image.tools.map((t) => t.tool.length));
  for (const t of image.tools) {
    lines.push(
      `  ${t.tool.padEnd(width)}  ${upstreamVersion(t.version).padEnd(10)}  ${t.package} ${t.version}`,
    );
  }
  return lines.join('\n');
}
