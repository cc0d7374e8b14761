/** The sandbox drivers by name, for `--sandbox`. qemu is the default; local is never implied. */
import { LocalSandboxDriver } from './local.js';
import { QemuSandboxDriver } from './qemu.js';
import type { SandboxDriver } from './sandbox.js';

export const SANDBOX_KINDS = ['qemu', 'local'] as const;
export type SandboxKind = (typeof SANDBOX_KINDS)[number];

export function sandboxDriver(kind: string | undefined = 'qemu'): SandboxDriver {
  if (kind === 'qemu') return new QemuSandboxDriver();
  if (kind === 'local') return new LocalSandboxDriver();
  throw new Error(`--sandbox must be one of ${SANDBOX_KINDS.join(', ')}, got "${kind}"`);
}
