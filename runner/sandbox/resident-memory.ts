/**
 * How much of the host's memory a process holds (its resident set), read from /proc: for
 * `/healthz` and `ebpf-lab bench --soak`, which watch that a sandbox's qemu and the server stay
 * bounded over time.
 */
import { readFileSync } from 'node:fs';

/** VmRSS of `pid` in MiB (one decimal), or undefined when the process is gone. */
export function residentMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    return Number.isFinite(kib) ? Math.round(kib / 102.4) / 10 : undefined;
  } catch {
    // The process exited between being listed and being read: it holds nothing.
    return undefined;
  }
}

/** This process's resident set in MiB (one decimal). */
export function ownResidentMiB(): number {
  return Math.round(process.memoryUsage.rss() / (1024 * 102.4)) / 10;
}
