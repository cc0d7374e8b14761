/**
 * One line that says what a sandbox is: how it runs, its kernel, and the versions of the tools
 * a learner compares with their tutorial's (the lab's status, `ebpf-lab run`).
 */
import { toolSummary } from '../image/package-versions.js';
import type { Sandbox } from './sandbox.js';

/** The tools named in a status line, in this order (the manifest has more). */
export const STATUS_TOOLS = ['BCC', 'bpftrace', 'clang'] as const;

/** `tcg, kernel 6.12.118+deb13-cloud-amd64, BCC 0.31.0, bpftrace 0.23.2, clang 19.1.7` */
export function describeSandbox(sandbox: Pick<Sandbox, 'mode' | 'kernel' | 'tools'>): string {
  const tools = toolSummary(sandbox.tools ?? [], STATUS_TOOLS);
  return [sandbox.mode, `kernel ${sandbox.kernel}`, ...(tools ? [tools] : [])].join(', ');
}
