/** `ebpf-lab image build|status`: the guest image the sandbox boots. */
import { parseArgs } from 'node:util';
import { buildImage, findImage, imagesDir } from '../runner/image/build.js';
import { progressLine } from './progress.js';
import { UsageError } from './usage.js';

export const IMAGE_USAGE = `Usage: ebpf-lab image build [--force]
       ebpf-lab image status

  build    Build the guest image (Debian kernel, BCC, agent) unless it is cached.
           --force rebuilds it even when cached.
  status   Print whether the image for this version is cached, and where.`;

export async function imageCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'build') {
    const { values } = parseArgs({ args: rest, options: { force: { type: 'boolean' } } });
    const image = await buildImage({
      force: values.force,
      onProgress: (p) =>
        progressLine('image', p.detail ? `${p.stage}: ${p.detail}` : p.stage, p.elapsedMs),
    });
    process.stdout.write(`guest image ready: ${image.id} (kernel ${image.kernelRelease})\n`);
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
    return 0;
  }
  throw new UsageError(IMAGE_USAGE);
}
