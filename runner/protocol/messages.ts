/**
 * The host <-> guest-agent protocol, declared once.
 *
 * Every message is one JSON object with a `type`. Host messages go to the agent inside the
 * sandbox; agent messages come back. The agent is untrusted (learner code runs as root beside
 * it), so the host validates every agent message with these schemas before acting on it.
 * The guest agent (Python, it must live next to BCC) validates host messages against the
 * JSON Schema generated from these same declarations (see `json-schema.ts`).
 */
import { z } from 'zod';

export { LAB_TASKS } from './lab-tasks.js';

/** Bumped on any incompatible change; the handshake refuses a mismatch. */
export const PROTOCOL_VERSION = 2;

const id = z.string().min(1).max(64).describe('Correlates requests with their events.');
const base64 = z
  .string()
  .max(1 << 20)
  .describe('Raw bytes, base64-encoded.');

export const AttachKind = z.enum(['kprobe', 'kretprobe', 'tracepoint']);
export type AttachKind = z.infer<typeof AttachKind>;

export const AttachSpec = z
  .strictObject({
    kind: AttachKind,
    target: z
      .string()
      .min(1)
      .max(128)
      .describe(
        'kprobe/kretprobe: a syscall name (clone) or kernel function; tracepoint: category:event.',
      ),
    fn: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .max(128)
      .optional()
      .describe('The C function to attach; optional when the source has only one candidate.'),
  })
  .describe('Where to attach a probe function.');
export type AttachSpec = z.infer<typeof AttachSpec>;

/** Per-run limits the agent enforces in the guest; the host enforces them again. */
export const RunLimits = z.strictObject({
  maxRunMs: z.number().int().positive(),
  compileTimeoutMs: z.number().int().positive(),
  maxTraceLines: z.number().int().positive(),
  maxTraceLinesPerSecond: z.number().int().positive(),
  maxTraceLineBytes: z.number().int().positive(),
  maxMapEntries: z.number().int().positive(),
});
export type RunLimits = z.infer<typeof RunLimits>;

// ---------------------------------------------------------------- host -> agent

export const HostMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('hello'), protocolVersion: z.number().int() }),
  z.strictObject({ type: z.literal('ping'), id }),
  z
    .strictObject({
      type: z.literal('resume'),
      id,
      epochMs: z.number().int().positive().describe("The host's wall clock, ms since 1970."),
      entropy: z
        .string()
        .min(44)
        .max(1024)
        .describe('At least 32 random bytes from the host, base64, mixed into the guest RNG.'),
    })
    .describe(
      'Sent to a sandbox restored from a template: set the wall clock, reseed the RNG, so it is as fresh as a boot.',
    ),
  z.strictObject({
    type: z.literal('run'),
    id,
    source: z.string().max(1 << 20),
    attach: z.array(AttachSpec).max(16),
    limits: RunLimits,
  }),
  z.strictObject({ type: z.literal('stop'), id }),
  z
    .strictObject({ type: z.literal('dump-programs'), id })
    .describe("The current run's programs as the kernel holds them: verified and JIT code."),
  z
    .strictObject({
      type: z.literal('prepare'),
      id,
      source: z.string().max(1 << 20),
      compileTimeoutMs: z.number().int().positive(),
      attach: z
        .array(AttachSpec)
        .max(16)
        .optional()
        .describe("The run's attach points, if known: the program is loaded ahead as their kind."),
    })
    .describe('Compile ahead of a run (the editor sends it while the learner types).'),
  z
    .strictObject({ type: z.literal('unload-program'), id, source: z.string().max(1 << 20) })
    .describe(
      "Unloads the program of `source` kept loaded for a quick re-run, unless it is running: after the lab's own warm-up compiles.",
    ),
  z.strictObject({
    type: z.literal('exec'),
    id,
    command: z.string().min(1).max(4096).describe('Run by a forking bash, as if typed.'),
    timeoutMs: z.number().int().positive(),
  }),
  z.strictObject({ type: z.literal('exec-kill'), id }).describe('Kills a running exec.'),
  z
    .strictObject({
      type: z.literal('write-file'),
      id,
      path: z
        .string()
        .regex(/^\/(?:root|tmp)\/[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/)
        .describe('Where in the sandbox: a plain file name under /root or /tmp.'),
      data: base64,
    })
    .describe("Writes a learner's file into the sandbox."),
  z.strictObject({
    type: z.literal('shell-open'),
    id,
    cols: z.number().int().min(1).max(1000),
    rows: z.number().int().min(1).max(1000),
  }),
  z.strictObject({ type: z.literal('shell-input'), id, data: base64 }),
  z.strictObject({
    type: z.literal('shell-resize'),
    id,
    cols: z.number().int().min(1).max(1000),
    rows: z.number().int().min(1).max(1000),
  }),
  z.strictObject({ type: z.literal('shell-close'), id }),
]);
export type HostMessage = z.infer<typeof HostMessage>;

// ---------------------------------------------------------------- agent -> host

/** Why a run ended or failed, from the agent's point of view. */
export const RunErrorKind = z.enum([
  'compile', // clang rejected the source
  'verifier', // the kernel's verifier rejected a program
  'attach', // the attach target does not exist or cannot be used
  'limit', // a run limit was hit
  'internal', // the agent or BCC failed unexpectedly
]);
export type RunErrorKind = z.infer<typeof RunErrorKind>;

export const RunStage = z.enum(['compiling', 'loading', 'attaching', 'attached']);
export type RunStage = z.infer<typeof RunStage>;

/** What a probe is attached to: the kinds one can ask for, and those BCC attaches by name. */
export const AttachedKind = z.enum([
  ...AttachKind.options,
  'raw_tracepoint',
  'kfunc',
  'kretfunc',
  'lsm',
]);

export const AttachedProbe = z.strictObject({
  kind: AttachedKind,
  event: z.string().max(256).describe('What the kernel attached to, e.g. __x64_sys_clone.'),
  fn: z.string().max(128),
});
export type AttachedProbe = z.infer<typeof AttachedProbe>;

/** A process that holds the kernel's trace_pipe open, so a run's trace lines go to it. */
export const TracePipeHolder = z.strictObject({
  pid: z.number().int().min(1),
  command: z.string().max(256).describe('Its command line, e.g. "python3 hello_world.py".'),
});
export type TracePipeHolder = z.infer<typeof TracePipeHolder>;

/** A tool in the sandbox and the Debian package version it came from (the image manifest). */
export const ToolVersion = z.strictObject({
  tool: z.string().max(64).describe('What a learner calls it: kernel, BCC, bpftrace, clang, ...'),
  package: z.string().max(128),
  version: z.string().max(128).describe('The Debian package version, e.g. 0.31.0+ds-7.'),
});
export type ToolVersion = z.infer<typeof ToolVersion>;

/**
 * A C value decoded with the types BCC knows: a struct or union as an object by field name (in
 * declaration order), a char array as its text, any other array as a list, an integer beyond
 * JavaScript's exact range as a decimal string.
 */
export type CValue = number | string | boolean | null | CValue[] | { [field: string]: CValue };
export const CValue: z.ZodType<CValue> = z.lazy(() =>
  z.union([
    z.number(),
    z.string().max(1 << 16),
    z.boolean(),
    z.null(),
    z.array(CValue).max(4096),
    z.record(z.string().max(256), CValue),
  ]),
);

/** One event a probe sent to user space through a perf buffer or a ring buffer. */
export const ProbeEvent = z.strictObject({
  map: z.string().max(128).describe('The BPF_PERF_OUTPUT or BPF_RINGBUF_OUTPUT it came through.'),
  size: z.number().int().nonnegative().describe('Bytes the probe submitted.'),
  fields: CValue.optional().describe("Decoded with the submitted struct's fields."),
  raw: z
    .string()
    .max(1 << 16)
    .optional()
    .describe('Hex bytes, when BCC knows no struct for the data.'),
  truncated: z.boolean().describe('A string, array or the raw bytes were cut to the limits.'),
});
export type ProbeEvent = z.infer<typeof ProbeEvent>;

/** One map of a run's program, as read at one moment. */
export const MapSnapshot = z.strictObject({
  name: z.string().max(128),
  kind: z.string().max(64).describe("BCC's name for the map type, lower case: hash, array, …"),
  keyType: z.string().max(256),
  valueType: z.string().max(256),
  entries: z
    .array(
      z.strictObject({
        key: CValue,
        value: CValue.describe('Per-CPU maps: the sum over CPUs when the value is a number.'),
        perCpu: z.array(CValue).max(4096).optional(),
      }),
    )
    .max(4096)
    .describe('Array maps: only the non-zero entries. Hash maps of counts: biggest first.'),
  total: z.number().int().nonnegative().describe('Entries read (shown or not).'),
  more: z.number().int().nonnegative().describe('Entries read but not shown (maxMapEntries).'),
  scanned: z.boolean().describe('False when the map has more keys than the lab reads at once.'),
  histogram: z.enum(['log2', 'linear']).nullable().describe('A BPF_HISTOGRAM, and its buckets.'),
  events: z
    .number()
    .int()
    .nonnegative()
    .nullable()
    .describe('Perf and ring buffers: events delivered so far in this run.'),
  note: z.string().max(4096).describe('Why entries are missing, or empty.'),
});
export type MapSnapshot = z.infer<typeof MapSnapshot>;

export const AgentMessage = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('ready'),
    protocolVersion: z.number().int(),
    kernel: z.string().max(256),
    bcc: z.string().max(64).describe('BCC version, or empty until the BCC worker is warm.'),
    tools: z
      .array(ToolVersion)
      .max(32)
      .optional()
      .describe("The image's tool versions; absent where the sandbox is not our image (local)."),
  }),
  z.strictObject({ type: z.literal('pong'), id }),
  z
    .strictObject({
      type: z.literal('heartbeat'),
      agent: z.string().min(1).max(64).describe('Changes when the agent restarts.'),
      seq: z.number().int().nonnegative(),
      shells: z.array(id).max(16).describe('The shells the agent has open.'),
      memAvailableKiB: z.number().int().nonnegative(),
    })
    .describe('Sent by the agent every couple of seconds: the host watches for silence.'),
  z
    .strictObject({
      type: z.literal('guest-event'),
      kind: z.enum(['processes', 'memory', 'files']),
      message: z.string().max(4096).describe('What happened, in words for the learner.'),
    })
    .describe('The guest hit one of its own limits and coped; the learner should know.'),
  z.strictObject({
    type: z.literal('resumed'),
    id,
    epochMs: z.number().describe("The guest's wall clock once set, ms since 1970."),
  }),
  z.strictObject({ type: z.literal('run-stage'), id, stage: RunStage, cached: z.boolean() }),
  z.strictObject({
    type: z.literal('run-attached'),
    id,
    probes: z.array(AttachedProbe).max(64),
    compilerLog: z
      .string()
      .max(1 << 20)
      .describe('What clang printed for a successful compile: warnings.'),
    tracePipeHolders: z
      .array(TracePipeHolder)
      .max(8)
      .optional()
      .describe(
        'Present when another process holds trace_pipe (the kernel allows one reader): its ' +
          'lines go there until it lets go (then trace-pipe-free).',
      ),
  }),
  z
    .strictObject({
      type: z.literal('run-notice'),
      id,
      message: z.string().max(4096),
      log: z
        .string()
        .max(1 << 16)
        .describe('Details for the curious: e.g. the last stderr lines of a crashed worker.'),
    })
    .describe('Something the lab did about the run that the learner should know (a retry).'),
  z
    .strictObject({ type: z.literal('trace-pipe-free'), id })
    .describe("The run's reader has trace_pipe now: the lines come to the lab from here on."),
  z.strictObject({
    type: z.literal('trace'),
    id,
    lines: z.array(z.string().max(8192)).max(1024).describe('Raw trace_pipe lines.'),
    dropped: z.number().int().min(0).describe('Lines dropped by the rate limit since last batch.'),
  }),
  z
    .strictObject({
      type: z.literal('event'),
      id,
      events: z.array(ProbeEvent).max(1024),
      dropped: z
        .number()
        .int()
        .min(0)
        .describe('Events lost since the last batch: the rate limit, or a full perf buffer.'),
    })
    .describe('Events the probe sent to user space (perf buffers, ring buffers), decoded.'),
  z
    .strictObject({
      type: z.literal('maps'),
      id,
      final: z.boolean().describe('The last snapshot of the run, taken after it was detached.'),
      maps: z.array(MapSnapshot).max(64),
    })
    .describe("The run's maps, every second while attached and once after."),
  z.strictObject({
    type: z.literal('run-error'),
    id,
    kind: RunErrorKind,
    message: z.string().max(4096),
    log: z
      .string()
      .max(1 << 20)
      .describe('Raw clang or verifier output, when there is one.'),
  }),
  z.strictObject({
    type: z.literal('prepared'),
    id,
    cached: z.boolean(),
    compilerLog: z.string().max(1 << 20),
    error: z
      .strictObject({
        kind: RunErrorKind,
        message: z.string().max(4096),
        log: z.string().max(1 << 20),
      })
      .nullable(),
  }),
  z
    .strictObject({ type: z.literal('program-unloaded'), id, unloaded: z.boolean() })
    .describe('`unloaded` is false when nothing of that source was loaded, or it is running.'),
  z.strictObject({
    type: z.literal('programs'),
    id,
    programs: z
      .array(
        z.strictObject({
          name: z.string().max(128),
          id: z.number().int().nonnegative(),
          xlated: z
            .string()
            .max(1 << 20)
            .describe('`bpftool prog dump xlated linum` output.'),
          jited: z
            .string()
            .max(1 << 20)
            .describe('objdump of the JIT image, or empty.'),
          note: z.string().max(4096).describe('Why a part is missing, or empty.'),
        }),
      )
      .max(64),
  }),
  z.strictObject({
    type: z.literal('run-stopped'),
    id,
    reason: z.enum(['requested', 'limit', 'error', 'timeout']),
  }),
  z.strictObject({
    type: z.literal('exec-output'),
    id,
    stream: z.enum(['stdout', 'stderr']),
    data: base64,
  }),
  z.strictObject({
    type: z.literal('exec-exit'),
    id,
    code: z.number().int().nullable(),
    signal: z.string().max(32).nullable(),
    timedOut: z.boolean(),
  }),
  z.strictObject({ type: z.literal('file-written'), id }),
  z.strictObject({ type: z.literal('shell-output'), id, data: base64 }),
  z.strictObject({ type: z.literal('shell-exit'), id, code: z.number().int().nullable() }),
  z.strictObject({
    type: z.literal('error'),
    id: id.nullable(),
    code: z.enum([
      'malformed',
      'unknown-type',
      'version',
      'busy',
      'not-found',
      // A file could not be written: the sandbox's files budget is used up.
      'no-space',
      'internal',
    ]),
    message: z.string().max(4096),
  }),
]);
export type AgentMessage = z.infer<typeof AgentMessage>;

/** One agent message narrowed by its `type`. */
export type AgentMessageOf<T extends AgentMessage['type']> = Extract<AgentMessage, { type: T }>;
