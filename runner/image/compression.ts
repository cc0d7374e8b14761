/**
 * The compression formats Debian uses for kernels and modules (bookworm: LZ4 bzImage payload,
 * plain `.ko`; trixie: zstd payload, `.ko.xz`), recognised by their magic bytes and undone with
 * the format's own command-line tool.
 */
import { rm } from 'node:fs/promises';

export interface CompressionFormat {
  name: string;
  /** File name suffix the tool expects and strips when decompressing. */
  suffix: string;
  /** Host command that decompresses it, and the Debian package that provides it. */
  tool: string;
  hostPackage: string;
  magic: readonly number[];
}

export const COMPRESSION_FORMATS: readonly CompressionFormat[] = [
  {
    name: 'LZ4 (legacy frame)',
    suffix: '.lz4',
    tool: 'lz4',
    hostPackage: 'lz4',
    magic: [0x02, 0x21, 0x4c, 0x18],
  },
  {
    name: 'zstd',
    suffix: '.zst',
    tool: 'zstd',
    hostPackage: 'zstd',
    magic: [0x28, 0xb5, 0x2f, 0xfd],
  },
  {
    name: 'xz',
    suffix: '.xz',
    tool: 'xz',
    hostPackage: 'xz-utils',
    magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
  },
  { name: 'gzip', suffix: '.gz', tool: 'gzip', hostPackage: 'gzip', magic: [0x1f, 0x8b] },
];

/** The format whose magic starts `data`, or undefined. */
export function formatOfData(data: Uint8Array): CompressionFormat | undefined {
  return COMPRESSION_FORMATS.find((format) => format.magic.every((byte, i) => data[i] === byte));
}

/** The format a file name's suffix names (`virtio_blk.ko.xz`), or undefined when plain. */
export function formatOfName(name: string): CompressionFormat | undefined {
  return COMPRESSION_FORMATS.find((format) => name.endsWith(format.suffix));
}

/**
 * The argv that decompresses `path` (which must end in the format's suffix) in place, leaving
 * the file without the suffix. `-f` overwrites a stale output of an earlier, interrupted build.
 */
export function decompressArgv(format: CompressionFormat, path: string): [string, string[]] {
  if (!path.endsWith(format.suffix)) {
    throw new Error(`${path} does not end in ${format.suffix}`);
  }
  // lz4 writes to stdout when it is not a terminal unless given the output name.
  if (format.tool === 'lz4') return ['lz4', ['-d', '-f', '-q', path, path.slice(0, -4)]];
  return [format.tool, ['-d', '-f', '-q', path]];
}

/** Decompresses `path` in place with `run` (an argv runner) and removes the compressed file. */
export async function decompressInPlace(
  format: CompressionFormat,
  path: string,
  run: (command: string, args: string[]) => Promise<void>,
): Promise<string> {
  const [command, args] = decompressArgv(format, path);
  try {
    await run(command, args);
  } catch (error) {
    throw new Error(
      `cannot decompress ${path} (${format.name}); is ${format.tool} installed (Debian package ${format.hostPackage})? ${(error as Error).message}`,
      { cause: error },
    );
  }
  // lz4 keeps its input; the others remove it.
  await rm(path, { force: true });
  return path.slice(0, -format.suffix.length);
}
