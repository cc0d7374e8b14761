/**
 * How loaded the whole host is, from /proc: CPU as % of the machine (all its cores) between two
 * readings of /proc/stat, and memory in use as MemTotal − MemAvailable from /proc/meminfo (what
 * the kernel could not hand to a new process without swapping: page cache it can drop is free).
 * The capacity bench samples both over its window.
 */
import { readFileSync } from 'node:fs';

export interface CpuTimes {
  /** Ticks spent running anything (user, nice, system, irq, softirq). */
  busy: number;
  /** Every tick counted, idle, I/O wait and time stolen by a hypervisor included. */
  total: number;
}

/** The machine-wide `cpu` line of /proc/stat. */
export function parseProcStat(text: string): CpuTimes {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat has no "cpu" line');
  // user nice system idle iowait irq softirq steal (guest time is already in user and nice)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map((field) => Number(field) || 0) as number[];
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0);
  return { busy, total: busy + (idle ?? 0) + (iowait ?? 0) + (steal ?? 0) };
}

/** % of the whole machine busy between two readings (100 = every core, all the time). */
export function cpuPercent(before: CpuTimes, after: CpuTimes): number {
  const total = after.total - before.total;
  if (total <= 0) return Number.NaN;
  return Number(((100 * (after.busy - before.busy)) / total).toFixed(1));
}

export interface MemoryUse {
  totalMb: number;
  usedMb: number;
}

/** MemTotal and MemTotal − MemAvailable from /proc/meminfo, in MB (MiB). */
export function parseMemInfo(text: string): MemoryUse {
  const kb = (name: string) => {
    const value = Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1]);
    if (!Number.isFinite(value)) throw new Error(`/proc/meminfo has no ${name}`);
    return value;
  };
  const total = kb('MemTotal');
  return {
    totalMb: Math.round(total / 1024),
    usedMb: Math.round((total - kb('MemAvailable')) / 1024),
  };
}

export const readCpuTimes = (): CpuTimes => parseProcStat(readFileSync('/proc/stat', 'utf8'));
export const readMemoryUse = (): MemoryUse => parseMemInfo(readFileSync('/proc/meminfo', 'utf8'));
