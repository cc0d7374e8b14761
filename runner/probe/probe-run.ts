/**
 * One probe run in a booted sandbox, seen from the host: sends `run`, turns the agent's
 * messages into typed events (stages, attach points, parsed trace lines, structured errors),
 * and stops the run on request. Compile errors come back positioned in the learner's file and
 * verifier rejections explained, so every caller (CLI, web lab, checks) gets the same data.
 *
 * The agent enforces the run limits inside the guest; the host counts trace lines again, so a
 * misbehaving guest cannot flood the caller either.
 */
import { randomUUID } from 'node:crypto';
import { type AgentConnection, AgentConnectionClosed } from '../agent-connection.js';
import {
  checkSourceSize,
  LAB_LINE_ALLOWANCE,
  labLineLimitMessage,
  limitMessage,
  runLimits,
} from '../limits.js';
import { isLabTask } from '../protocol/lab-tasks.js';
import type {
  AgentMessage,
  AttachedProbe,
  AttachSpec,
  MapSnapshot,
  ProbeEvent,
  RunErrorKind,
  RunLimits,
  RunStage,
  TracePipeHolder,
} from '../protocol/messages.js';
import { checkArguments } from './argument-checks.js';
import { mentionsLabTask } from './c-value.js';
import { explainDiagnostics } from './compile-hints.js';
import { BCC_MAIN_FILE, parseClangDiagnostics, type SourceDiagnostic } from './diagnostics.js';
import { parseTraceLine, type TraceLine } from './trace-line.js';
import { explainVerifierLog, type VerifierReport, withLearnerLines } from './verifier.js';

export interface ProbeRunRequest {
  source: string;
  attach: AttachSpec[];
  limits?: Partial<RunLimits>;
}

/** Why a run failed. `sandbox`: the sandbox died or stopped answering, never the probe's fault. */
export type ProbeErrorKind = RunErrorKind | 'sandbox';

export interface ProbeError {
  kind: ProbeErrorKind;
  message: string;
  /** Raw clang or verifier output, when there is one. */
  log: string;
  /** Compile errors, positioned in the learner's file. */
  diagnostics: SourceDiagnostic[];
  /** Present for verifier rejections. */
  verifier?: VerifierReport;
}

export type StopReason = 'requested' | 'limit' | 'error' | 'timeout';

export type ProbeRunEvent =
  | { type: 'stage'; stage: RunStage; cached: boolean }
  /** `tracePipeHolders`: other processes read trace_pipe, so the trace lines go to them. */
  | { type: 'attached'; probes: AttachedProbe[]; tracePipeHolders: TracePipeHolder[] }
  /** The holders let go: the run's trace lines come to the lab from now on. */
  | { type: 'trace-pipe-free' }
  /** Something the lab did about the run, e.g. compiled it again after the worker crashed. */
  | { type: 'notice'; message: string; log: string }
  /** Compiler warnings for a program that compiled, positioned in the learner's file. */
  | { type: 'warnings'; diagnostics: SourceDiagnostic[] }
  /**
   * `parsed` is undefined for lines that are not trace records (kept, shown raw). `lab`: the
   * line is the lab's own doing (its agent or BCC worker fired the probe), not the learner's.
   */
  | { type: 'trace'; raw: string; parsed: TraceLine | undefined; lab: boolean }
  | { type: 'dropped'; count: number }
  /** An event from a perf or ring buffer; `lab` when it names one of the lab's processes. */
  | { type: 'event'; event: ProbeEvent; lab: boolean }
  /** Events lost: over the rate limit, or the perf buffer was full. */
  | { type: 'events-dropped'; count: number }
  /** The run's maps: every second while attached, and once more (`final`) after. */
  | { type: 'maps'; maps: MapSnapshot[]; final: boolean }
  | { type: 'error'; error: ProbeError }
  | { type: 'stopped'; reason: StopReason };

/** A run that failed before it attached: thrown by `ProbeRun.attached`. */
export class ProbeRunError extends Error {
  constructor(readonly error: ProbeError) {
    super(error.message);
  }
}

const STOP_ACK_TIMEOUT_MS = 15_000;

export class ProbeRun {
  readonly id = randomUUID();
  /** Resolves with the attach points once the probe is live; rejects with ProbeRunError. */
  readonly attached: Promise<AttachedProbe[]>;
  /** Resolves when the run is over, for whatever reason. */
  readonly done: Promise<StopReason>;
  private readonly listeners = new Set<(event: ProbeRunEvent) => void>();
  private readonly limits: RunLimits;
  private traceLines = 0;
  /** Lines of the lab's own processes: a budget of their own (LAB_LINE_ALLOWANCE). */
  private labTraceLines = 0;
  private events = 0;
  private firstError: ProbeError | undefined;
  private finished = false;
  private settleAttached!: { resolve: (p: AttachedProbe[]) => void; reject: (e: Error) => void };
  private resolveDone!: (reason: StopReason) => void;
  private readonly unsubscribe: () => void;
  private readonly unsubscribeClose: () => void;

  private constructor(
    private readonly agent: AgentConnection,
    private readonly request: ProbeRunRequest,
  ) {
    this.limits = runLimits(request.limits);
    this.attached = new Promise((resolve, reject) => {
      this.settleAttached = { resolve, reject };
    });
    // A caller that only awaits `done` must not see an unhandled rejection.
    this.attached.catch(() => {});
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    this.unsubscribe = agent.onMessage((message) => this.receive(message));
    this.unsubscribeClose = agent.onClose((reason) => {
      this.fail({ kind: 'sandbox', message: `The sandbox stopped: ${reason}.`, log: '' });
      this.finish('error');
    });
  }

  /** Starts a run; `onEvent` sees every event, in order, from the first one. */
  static start(
    agent: AgentConnection,
    request: ProbeRunRequest,
    onEvent?: (event: ProbeRunEvent) => void,
  ): ProbeRun {
    const run = new ProbeRun(agent, request);
    if (onEvent) run.listeners.add(onEvent);
    const tooBig = checkSourceSize(request.source);
    if (tooBig) {
      queueMicrotask(() => {
        run.fail({ kind: 'limit', message: tooBig, log: '' });
        run.finish('limit');
      });
      return run;
    }
    try {
      agent.send({
        type: 'run',
        id: run.id,
        source: request.source,
        attach: request.attach,
        limits: run.limits,
      });
    } catch (error) {
      queueMicrotask(() => {
        run.fail({ kind: 'sandbox', message: `The sandbox is gone: ${describe(error)}.`, log: '' });
        run.finish('error');
      });
    }
    return run;
  }

  onEvent(listener: (event: ProbeRunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** The first error the run reported, if any. */
  get error(): ProbeError | undefined {
    return this.firstError;
  }

  /** Detaches the probe; resolves once the agent confirms that no more lines will come. */
  async stop(): Promise<StopReason> {
    if (!this.finished) {
      try {
        this.agent.send({ type: 'stop', id: this.id });
      } catch (error) {
        if (!(error instanceof AgentConnectionClosed)) throw error;
      }
      const timer = setTimeout(() => {
        this.fail({
          kind: 'sandbox',
          message: `The sandbox did not confirm the stop within ${STOP_ACK_TIMEOUT_MS / 1000} s.`,
          log: '',
        });
        this.finish('error');
      }, STOP_ACK_TIMEOUT_MS);
      await this.done;
      clearTimeout(timer);
    }
    return this.done;
  }

  private receive(message: AgentMessage): void {
    if (this.finished || !('id' in message) || message.id !== this.id) return;
    switch (message.type) {
      case 'run-stage':
        this.emit({ type: 'stage', stage: message.stage, cached: message.cached });
        break;
      case 'run-attached': {
        const warnings = [
          ...compilerDiagnostics(message.compilerLog, this.request.source),
          ...checkArguments(this.request.source, message.probes),
        ];
        if (warnings.length > 0) this.emit({ type: 'warnings', diagnostics: warnings });
        this.settleAttached.resolve(message.probes);
        this.emit({
          type: 'attached',
          probes: message.probes,
          tracePipeHolders: message.tracePipeHolders ?? [],
        });
        break;
      }
      case 'trace-pipe-free':
        this.emit({ type: 'trace-pipe-free' });
        break;
      case 'run-notice':
        this.emit({ type: 'notice', message: message.message, log: message.log });
        break;
      case 'trace':
        this.receiveTrace(message.lines, message.dropped);
        break;
      case 'event':
        this.receiveEvents(message.events, message.dropped);
        break;
      case 'maps':
        this.emit({ type: 'maps', maps: message.maps, final: message.final });
        break;
      case 'run-error':
        this.fail(
          describeRunError(message.kind, message.message, message.log, this.request.source),
        );
        break;
      case 'run-stopped':
        this.finish(message.reason);
        break;
      case 'error':
        this.fail({
          kind: 'internal',
          message: `The sandbox refused the run: ${message.message}`,
          log: '',
        });
        this.finish('error');
        break;
    }
  }

  private receiveTrace(lines: string[], dropped: number): void {
    if (dropped > 0) this.emit({ type: 'dropped', count: dropped });
    const labLineLimit = this.limits.maxTraceLines * LAB_LINE_ALLOWANCE;
    for (const raw of lines) {
      if (this.finished) return;
      const parsed = parseTraceLine(raw);
      const lab = parsed !== undefined && isLabTask(parsed.task);
      // The agent should have stopped already; do not trust it to.
      if (lab ? this.labTraceLines >= labLineLimit : this.traceLines >= this.limits.maxTraceLines) {
        this.fail({
          kind: 'limit',
          message: lab
            ? labLineLimitMessage(this.limits.maxTraceLines)
            : limitMessage('maxTraceLines', this.limits.maxTraceLines),
          log: '',
        });
        void this.stop();
        return;
      }
      if (lab) this.labTraceLines++;
      else this.traceLines++;
      this.emit({ type: 'trace', raw, parsed, lab });
    }
  }

  private receiveEvents(events: ProbeEvent[], dropped: number): void {
    if (dropped > 0) this.emit({ type: 'events-dropped', count: dropped });
    for (const event of events) {
      if (this.finished) return;
      if (this.events >= this.limits.maxTraceLines) {
        // The same budget as trace lines, counted again here: do not trust the guest.
        this.fail({
          kind: 'limit',
          message: limitMessage('maxTraceLines', this.limits.maxTraceLines),
          log: '',
        });
        void this.stop();
        return;
      }
      this.events++;
      this.emit({ type: 'event', event, lab: mentionsLabTask(event.fields) });
    }
  }

  private fail(
    error: Omit<ProbeError, 'diagnostics'> & { diagnostics?: SourceDiagnostic[] },
  ): void {
    if (this.finished) return;
    const full: ProbeError = { diagnostics: [], ...error };
    this.firstError ??= full;
    this.settleAttached.reject(new ProbeRunError(full));
    this.emit({ type: 'error', error: full });
  }

  private finish(reason: StopReason): void {
    if (this.finished) return;
    this.finished = true;
    this.unsubscribe();
    this.unsubscribeClose();
    // A run that ends before attaching, without an error of its own, still fails `attached`.
    this.settleAttached.reject(
      new ProbeRunError(
        this.firstError ?? {
          kind: 'internal',
          message: `The run ended (${reason}) before it attached.`,
          log: '',
          diagnostics: [],
        },
      ),
    );
    for (const listener of this.listeners) listener({ type: 'stopped', reason });
    this.resolveDone(reason);
  }

  private emit(event: ProbeRunEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

/** A run error from the agent, with compile errors positioned and a verifier log explained. */
export function describeRunError(
  kind: RunErrorKind,
  message: string,
  log: string,
  source: string,
): ProbeError {
  const error: ProbeError = { kind, message, log, diagnostics: [] };
  if (kind === 'compile') {
    error.diagnostics = compilerDiagnostics(log, source);
    const first = error.diagnostics.find((d) => d.severity === 'error');
    if (first) error.message = `${message} Line ${first.line}: ${first.message}`;
  } else if (kind === 'verifier') {
    error.verifier = explainVerifierLog(log, source);
    error.log = withLearnerLines(log, source);
    error.message = `${message} ${error.verifier.summary}`;
  }
  return error;
}

/** What clang (or LLVM, or BCC) printed, positioned in the learner's file, with hints. */
export function compilerDiagnostics(log: string, source: string): SourceDiagnostic[] {
  return explainDiagnostics(parseClangDiagnostics(log, BCC_MAIN_FILE, source), source);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
