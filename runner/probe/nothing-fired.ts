/**
 * What to tell a learner whose probe attached but never fired: what is known (the trigger that
 * ran, for how long), and for a kernel function that exists but was not called, the functions
 * the kernel may be using instead (`do_sys_open` → `do_sys_openat2`). Never the trigger that
 * just ran as a suggestion.
 */
import type { AttachedProbe } from '../protocol/messages.js';

export interface SilentRun {
  trigger: string | undefined;
  /** How long the run collected after the trigger ended (or after attaching, without one). */
  durationMs: number;
  probes: AttachedProbe[];
  /** Kernel functions related to each kprobe's event, by event (see relatedFunctions). */
  related: Map<string, string[]>;
}

const SAFE_SYMBOL = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** Whether `event` can be looked up in the kernel's function list (a plain symbol name). */
export function canLookUp(event: string): boolean {
  return SAFE_SYMBOL.test(event);
}

/**
 * The functions in `available` (one per line, as in available_filter_functions, maybe with a
 * ` [module]` suffix) whose names extend `event`: other versions of the same work, which the
 * kernel may call instead. Shortest first, at most `count`.
 */
export function relatedFunctions(available: string, event: string, count = 3): string[] {
  const names = new Set<string>();
  for (const line of available.split('\n')) {
    const name = line.trim().split(/\s+/)[0] ?? '';
    if (name !== event && name.startsWith(event) && SAFE_SYMBOL.test(name)) names.add(name);
  }
  return [...names].sort((a, b) => a.length - b.length || a.localeCompare(b)).slice(0, count);
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/** The sentence after `0 trace line(s)`. */
export function nothingFiredMessage(run: SilentRun): string {
  const parts: string[] = [];
  if (run.trigger === undefined) {
    parts.push(
      `nothing fired the probe in the ${seconds(run.durationMs)} after attaching; give a ` +
        'command that makes the kernel do this work with --trigger (e.g. --trigger "ls /")',
    );
  } else {
    parts.push(
      `nothing fired the probe while ${JSON.stringify(run.trigger)} ran, nor in the ` +
        `${seconds(run.durationMs)} after it`,
    );
  }
  for (const probe of run.probes) {
    if (probe.kind !== 'kprobe' && probe.kind !== 'kretprobe') continue;
    const others = run.related.get(probe.event) ?? [];
    if (others.length === 0) continue;
    parts.push(
      `${probe.event} exists but was not called: this kernel may do that work in ` +
        `${others.join(' or ')} instead (try --attach ${probe.kind}:${others[0]})`,
    );
  }
  if (run.trigger !== undefined && parts.length === 1) {
    parts.push(
      'check that the command makes the kernel reach ' +
        (run.probes.map((p) => p.event).join(', ') || 'the attach point') +
        ', or try another command',
    );
  }
  return parts.join('; ');
}
