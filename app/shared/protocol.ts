/**
 * The browser <-> server WebSocket protocol, declared once and imported by both sides.
 *
 * One WebSocket per tab; every frame is one JSON object with a `type`. The server validates
 * every client message with these schemas (an unknown, malformed or oversized one gets an
 * `error` reply, never a crash); the client trusts the server's messages by type only.
 */
import { z } from 'zod';
import type { MapSnapshot } from '../../runner/protocol/messages.js';

export { ATTACH_PRESETS, WEB_PROTOCOL_VERSION } from './constants.js';

/** The largest client frame the server reads; the probe source limit (64 KiB) fits with room. */
export const MAX_CLIENT_MESSAGE_BYTES = 256 * 1024;

export const AttachChoice = z.strictObject({
  kind: z.enum(['kprobe', 'kretprobe', 'tracepoint']),
  target: z.string().min(1).max(128),
  fn: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .max(128)
    .optional(),
});
export type AttachChoice = z.infer<typeof AttachChoice>;

const terminalSize = {
  cols: z.number().int().min(2).max(1000),
  rows: z.number().int().min(2).max(1000),
};

// ------------------------------------------------------------------ browser -> server

/** A lesson's editor files by name (plain names: they are written to /root in the sandbox). */
const LessonFiles = z
  .record(z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/), z.string().max(128 * 1024))
  .refine((files) => Object.keys(files).length <= 16, 'at most 16 files');

const LessonId = z.string().regex(/^[a-z0-9-]{1,80}$/);

export const ClientMessage = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('run'),
    source: z.string().max(1 << 20),
    /** Empty when the source attaches itself the BCC way (kprobe__..., TRACEPOINT_PROBE). */
    attach: z.array(AttachChoice).max(8),
    /** The lesson the run belongs to: its `verifier-then-pass` checks look at its runs only. */
    lessonId: LessonId.optional(),
  }),
  z.strictObject({ type: z.literal('stop') }),
  /**
   * The lesson this tab shows: a run and its output belong to the lesson it was started in,
   * and a tab of another lesson is told about it (`other-run`) instead of showing it.
   */
  z.strictObject({ type: z.literal('view'), lessonId: LessonId }),
  /**
   * Compile ahead while the learner types: live diagnostics, and a warm Run. `attach`: what a
   * Run would attach now, so the program is loaded ahead as that kind.
   */
  z.strictObject({
    type: z.literal('prepare'),
    source: z.string().max(1 << 20),
    attach: z.array(AttachChoice).max(8).optional(),
  }),
  z.strictObject({ type: z.literal('shell-input'), data: z.string().max(64 * 1024) }),
  z.strictObject({ type: z.literal('shell-resize'), ...terminalSize }),
  /** "Run in shell": typed one command at a time, each once the shell is back at its prompt. */
  z.strictObject({
    type: z.literal('shell-run'),
    commands: z.array(z.string().max(4096)).min(1).max(64),
  }),
  /** Flow control: the terminal has written this many more bytes of `stream`. */
  z.strictObject({
    type: z.literal('ack'),
    stream: z.enum(['trace', 'shell']),
    bytes: z.number().int().min(0),
  }),
  z.strictObject({ type: z.literal('bytecode') }),
  /** The editor's files, saved to /root in the sandbox (debounced while typing). */
  z.strictObject({ type: z.literal('save-files'), files: LessonFiles }),
  /** Stop this learner's sandbox and start a fresh one (their files are kept). */
  z.strictObject({ type: z.literal('reset-sandbox') }),
  /** Run the lesson's checks against the learner's current files. */
  z.strictObject({
    type: z.literal('check'),
    lessonId: LessonId,
    files: LessonFiles,
  }),
  /** In a class: "Raise hand", for the instructor's dashboard (`lessonId`: the tab's lesson). */
  z.strictObject({ type: z.literal('raise-hand'), lessonId: LessonId.optional() }),
  z.strictObject({ type: z.literal('lower-hand') }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

// ------------------------------------------------------------------ server -> browser

export type Phase =
  | 'starting' // booting a sandbox
  | 'ready' // sandbox up, nothing attached
  | 'compiling'
  | 'loading'
  | 'attached'
  | 'stopped'
  | 'error';

export interface Diagnostic {
  line: number;
  column: number;
  severity: 'error' | 'warning' | 'note';
  message: string;
  /** Why this happens in a BPF program and what to write instead, in plain words. */
  hint?: string;
}

export interface VerifierExplanation {
  summary: string;
  explanation: string;
  line?: number;
  sourceText?: string;
}

export interface BytecodeInstruction {
  /** Instruction index in the verified program. */
  index: number;
  text: string;
  /** The learner's source line it came from, when the kernel knows it. */
  line?: number;
}

export interface BytecodeProgram {
  name: string;
  id: number;
  xlated: BytecodeInstruction[];
  /** JIT-compiled x86-64 instructions, or empty with `jitedNote` saying why. */
  jited: string[];
  jitedNote?: string;
}

export interface CheckResult {
  title: string;
  status: 'running' | 'passed' | 'failed';
  /** Shown when the check fails. */
  hint?: string;
  /** What the checker saw, when it helps (e.g. the compiler's first error). */
  detail?: string;
  durationMs?: number;
}

export interface OtherRun {
  lessonId: string;
  /** The lesson's title, or its id when the lab does not know it. */
  title: string;
  /** Where it is attached, e.g. "kprobe __x64_sys_clone". */
  where: string;
}

export type ServerMessage =
  | { type: 'hello'; protocolVersion: number; sessionId: string; sourceLimitBytes: number }
  | { type: 'status'; phase: Phase; text: string }
  /** `source`: the `sourceDigest` of the source that attached (results name their text). */
  | { type: 'attached'; source: string; probes: { kind: string; event: string; fn: string }[] }
  /** Trace output, already formatted for a terminal (`\r\n` line ends). */
  | { type: 'trace'; data: string }
  | { type: 'shell-output'; data: string }
  /** Output was dropped because the tab could not keep up or a cap was reached. */
  | { type: 'truncated'; stream: 'trace' | 'shell'; droppedBytes: number; reason: string }
  /**
   * Live diagnostics for the editor: from a compile-ahead or a run of the source whose
   * `sourceDigest` is `source` (a tab shows them only against that text, or its later edits).
   */
  | { type: 'diagnostics'; source: string; diagnostics: Diagnostic[] }
  | {
      type: 'run-error';
      /** The `sourceDigest` of the source that was run. */
      source: string;
      kind: string;
      message: string;
      diagnostics: Diagnostic[];
      verifier?: VerifierExplanation;
      log: string;
    }
  /**
   * `reason`: the run's own (`requested`, `limit`, ...), or `checks` when Check stopped it.
   * `events`: what the probe sent through perf and ring buffers (shown in Trace output).
   */
  | { type: 'stopped'; reason: string; lines: number; events: number }
  /** The run's maps, decoded: every second while attached, and once more (`final`) after. */
  | { type: 'maps'; maps: MapSnapshot[]; final: boolean }
  /** `source`: the `sourceDigest` of the running source the programs came from. */
  | { type: 'bytecode'; programs: BytecodeProgram[]; source?: string; error?: string }
  /** Check results arrive one by one (`running` first), then `check-done`. */
  | { type: 'check-result'; lessonId: string; index: number; result: CheckResult }
  | { type: 'check-done'; lessonId: string; passed: boolean }
  /**
   * A probe from another lesson's Run is attached (`run`), or no longer (`null`). Sent to tabs
   * that `view` another lesson, instead of that run's status and trace output.
   */
  | { type: 'other-run'; run: OtherRun | null }
  /** Authoring mode: a lesson's files changed on disk; reload it. */
  | { type: 'lesson-changed'; lessonId: string }
  /**
   * The learner's hand, after they or the instructor (`by`) raised or lowered it; `refused`:
   * it could not go up, and why (the learner is in no class).
   */
  | { type: 'hand'; raised: boolean; by?: 'learner' | 'instructor'; refused?: string }
  /** A message from the instructor of a class the learner is in, shown as a banner. */
  | { type: 'banner'; classId: number; className: string; text: string; at: number }
  | {
      type: 'error';
      code: 'malformed' | 'too-large' | 'unknown-type' | 'busy' | 'sandbox' | 'limit';
      message: string;
    };

export type ServerMessageOf<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

/** Validates one incoming frame; the error names what is wrong, for the reply. */
export function parseClientMessage(
  raw: string,
):
  | { ok: true; message: ClientMessage }
  | { ok: false; code: 'malformed' | 'unknown-type'; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (cause) {
    return { ok: false, code: 'malformed', error: `not JSON: ${(cause as Error).message}` };
  }
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof type !== 'string') {
    return { ok: false, code: 'malformed', error: 'a message is an object with a string "type"' };
  }
  if (!ClientMessage.options.some((option) => option.shape.type.value === type)) {
    return {
      ok: false,
      code: 'unknown-type',
      error: `unknown message type "${type.slice(0, 40)}"`,
    };
  }
  const parsed = ClientMessage.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  return {
    ok: false,
    code: 'malformed',
    error: `invalid "${type}" message${where}: ${issue?.message}`,
  };
}
