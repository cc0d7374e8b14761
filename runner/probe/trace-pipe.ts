/**
 * The kernel gives trace_pipe's lines to one reader at a time. When a learner's own script
 * (BCC's `trace_print()`, `cat trace_pipe`) holds it, a run's lines go there: these words say
 * so where the learner looks, and what to do.
 */
import type { TracePipeHolder } from '../protocol/messages.js';

/** "python3 hello_world.py (pid 213)", several joined with "and". */
function nameHolders(holders: TracePipeHolder[]): string {
  const named = holders.map((h) => `${h.command.trim() || 'a process'} (pid ${h.pid})`);
  return named.length > 1
    ? `${named.slice(0, -1).join(', ')} and ${named[named.length - 1]}`
    : (named[0] ?? 'another process');
}

/** Why a run's trace lines are not coming, and how to get them. */
export function describeTracePipeHolders(holders: TracePipeHolder[]): string {
  const pids = holders.map((h) => h.pid).join(' ');
  const stop = pids ? `kill ${pids}, or fg then Ctrl+C` : 'stop it';
  return (
    `${nameHolders(holders)} is reading the kernel's trace buffer (trace_pipe), and the ` +
    `kernel gives each line to one reader only: this probe's lines go there, not to Trace ` +
    `output. Stop it (${stop}) and they come here.`
  );
}

/** The note for Trace output once the holders let go. */
export const TRACE_PIPE_FREE_NOTE =
  'The trace buffer is free again: trace lines show here from now on.';
