/**
 * How much host CPU a process (a sandbox's qemu) has used, read from /proc: for the benches and
 * tests that measure what an idle or a busy sandbox costs the host.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ on Linux x86-64: the unit of the times in /proc/<pid>/stat. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) the process `pid` has used, all its threads. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) start at its closing parenthesis; utime
  // and stime are fields 14 and 15, and the slice starts at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}
