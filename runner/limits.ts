/**
 * Every bound the runner enforces, in one place. A limit that is hit produces a message that
 * names the limit and its value (`limitMessage`), so a learner knows what stopped them.
 */
import type { RunLimits } from './protocol/messages.js';

export interface Limit {
  readonly value: number;
  readonly unit:
    | 'bytes'
    | 'ms'
    | 'lines'
    | 'lines/s'
    | 'MiB'
    | 'sandboxes'
    | 'messages'
    | 'messages/s'
    | 'tabs'
    | 'CPUs'
    | 'processes'
    | 'entries';
  readonly what: string;
}

const limits = {
  sourceBytes: { value: 64 * 1024, unit: 'bytes', what: 'probe source size' },
  maxRunMs: { value: 10 * 60_000, unit: 'ms', what: 'run time' },
  compileTimeoutMs: { value: 120_000, unit: 'ms', what: 'compile and load time' },
  maxTraceLines: { value: 20_000, unit: 'lines', what: 'trace output per run' },
  maxTraceLinesPerSecond: { value: 2_000, unit: 'lines/s', what: 'trace output rate' },
  maxTraceLineBytes: { value: 4096, unit: 'bytes', what: 'trace line length' },
  maxMapEntries: { value: 50, unit: 'entries', what: 'map entries shown per map' },
  execTimeoutMs: { value: 60_000, unit: 'ms', what: 'command run time' },
  execOutputBytes: { value: 1024 * 1024, unit: 'bytes', what: 'command output' },
  sandboxMemoryMiB: { value: 1024, unit: 'MiB', what: 'sandbox memory' },
  // Host CPU per sandbox (a cgroup quota on its qemu): a learner's busy loop on both vCPUs
  // takes one host core at most, and equal weights share a busy host fairly.
  sandboxHostCpus: { value: 1, unit: 'CPUs', what: 'host CPU per sandbox' },
  bootTimeoutMs: { value: 60_000, unit: 'ms', what: 'sandbox boot time' },
  // Under load a restore can take seconds; past this the template is given up for a cold boot.
  restoreTimeoutMs: { value: 30_000, unit: 'ms', what: 'sandbox restore from a template' },
  kvmBootTimeoutMs: { value: 15_000, unit: 'ms', what: 'sandbox boot time with KVM' },
  messageBytes: { value: 2 * 1024 * 1024, unit: 'bytes', what: 'protocol message size' },
  // A tab sends a few messages a second when typing and up to ~120 acknowledgements a second
  // under a trace flood; a burst far above that is a script, and parsing it would starve
  // every other learner's tab on the server's one event loop.
  tabMessagesPerSecond: { value: 300, unit: 'messages/s', what: 'messages from one tab' },
  tabMessageBurst: { value: 600, unit: 'messages', what: 'message burst from one tab' },
  tabsPerLearner: { value: 8, unit: 'tabs', what: 'open lab tabs per learner' },
  // A tab still flooding after this many refused messages is closed.
  tabRefusedMessages: { value: 20_000, unit: 'messages', what: 'refused messages from one tab' },
  // Shell input the guest has not read yet; more is refused (the tab is told) until it has.
  shellInputBacklogBytes: { value: 1024 * 1024, unit: 'bytes', what: 'unread shell input' },
  // Under software emulation qemu caches translated guest code; by default up to 1 GiB.
  tcgTranslationCacheMiB: { value: 256, unit: 'MiB', what: 'translated code cache (tcg)' },
  // Inside the guest: the learner's shell and all it starts share one cgroup, so the agent and
  // the BCC worker keep the rest of the sandbox's memory and a share of its CPUs.
  learnerProcesses: { value: 512, unit: 'processes', what: 'processes in the sandbox shell' },
  learnerMemoryMiB: { value: 512, unit: 'MiB', what: 'memory of the sandbox shell' },
  // /tmp, /dev/shm, /run and every file written in the sandbox share one tmpfs of this size.
  sandboxFilesMiB: { value: 256, unit: 'MiB', what: 'files in the sandbox' },
  // The host's watch: the agent says it is alive every 2 s; this much silence is a fault
  // (generous: a guest starved of CPU on a busy host under software emulation is slow, not dead).
  heartbeatTimeoutMs: { value: 45_000, unit: 'ms', what: 'sandbox silence' },
  // A Run with no word from the sandbox this long is stuck. The worker may first finish a
  // compile ahead (up to compileTimeoutMs), so the bound is that and room.
  runProgressTimeoutMs: { value: 150_000, unit: 'ms', what: 'run start' },
} as const satisfies Record<string, Limit>;

/** Deeply frozen: a limit is never changed at run time, only overridden per run. */
export const LIMITS: typeof limits = Object.freeze(
  Object.fromEntries(Object.entries(limits).map(([k, v]) => [k, Object.freeze({ ...v })])),
) as typeof limits;

export type LimitName = keyof typeof LIMITS;

/**
 * Trace lines of the lab's own processes (tagged [lab]: a probe on write() sees the lab forwarding
 * its output) do not use up the learner's maxTraceLines, or such a probe would end within
 * minutes with nothing of the learner's shown. They are not free either: the guest is not
 * trusted to tag them honestly, so they get a budget of their own, this many times the learner's.
 */
export const LAB_LINE_ALLOWANCE = 4;

/** "Trace output of the lab's own processes reached 80000 lines (4 × maxTraceLines)." */
export function labLineLimitMessage(maxTraceLines: number): string {
  return `Trace output of the lab's own processes reached ${maxTraceLines * LAB_LINE_ALLOWANCE} lines (${LAB_LINE_ALLOWANCE} × maxTraceLines).`;
}

/** "Trace output per run limit reached: 20000 lines (maxTraceLines)." */
export function limitMessage(name: LimitName, value: number = LIMITS[name].value): string {
  const limit: Limit = LIMITS[name];
  const what = limit.what.charAt(0).toUpperCase() + limit.what.slice(1);
  return `${what} limit reached: ${formatLimitValue(value, limit.unit)} (${name}).`;
}

export function formatLimitValue(value: number, unit: Limit['unit']): string {
  if (unit === 'bytes') {
    if (value >= 1024 * 1024 && value % (1024 * 1024) === 0) return `${value / (1024 * 1024)} MiB`;
    if (value >= 1024 && value % 1024 === 0) return `${value / 1024} KiB`;
    return `${value} bytes`;
  }
  if (unit === 'ms') {
    if (value >= 60_000 && value % 60_000 === 0) return `${value / 60_000} min`;
    return value % 1000 === 0 ? `${value / 1000} s` : `${value} ms`;
  }
  return `${value} ${unit}`;
}

/** The per-run limits sent to the agent, with optional overrides (e.g. from a test). */
export function runLimits(overrides: Partial<RunLimits> = {}): RunLimits {
  return {
    maxRunMs: LIMITS.maxRunMs.value,
    compileTimeoutMs: LIMITS.compileTimeoutMs.value,
    maxTraceLines: LIMITS.maxTraceLines.value,
    maxTraceLinesPerSecond: LIMITS.maxTraceLinesPerSecond.value,
    maxTraceLineBytes: LIMITS.maxTraceLineBytes.value,
    maxMapEntries: LIMITS.maxMapEntries.value,
    ...overrides,
  };
}

/** Refuse oversized learner source before it leaves the host. */
export function checkSourceSize(source: string): string | undefined {
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes <= LIMITS.sourceBytes.value) return undefined;
  return `${limitMessage('sourceBytes')} The source is ${formatLimitValue(bytes, 'bytes')}.`;
}
