/**
 * One learner's session: their sandbox, its shell, the probe run in flight, and the browser
 * tabs watching them. The sandbox starts on first need (the first tab opening, or a Run after
 * an idle stop), stays while a tab is open, stops after an idle timeout, and stops a grace
 * period after the last tab closes; a tab that reconnects within it gets the same sandbox and
 * shell back, with the shell's recent output replayed.
 */

import { formatLimitValue, LIMITS } from '../../runner/limits.js';
import { dumpPrograms } from '../../runner/probe/bytecode.js';
import { formatEvent } from '../../runner/probe/c-value.js';
import { prepareProbe } from '../../runner/probe/prepare.js';
import { ProbeRun, type ProbeRunEvent } from '../../runner/probe/probe-run.js';
import { formatTraceLine } from '../../runner/probe/trace-line.js';
import { describeTracePipeHolders, TRACE_PIPE_FREE_NOTE } from '../../runner/probe/trace-pipe.js';
import { LAB_LINE_TAG } from '../../runner/protocol/lab-tasks.js';
import type { MapSnapshot } from '../../runner/protocol/messages.js';
import { describeSandbox } from '../../runner/sandbox/describe-sandbox.js';
import { writeFiles } from '../../runner/sandbox/files.js';
import {
  type LivenessWatch,
  watchLiveness,
  watchRunProgress,
} from '../../runner/sandbox/liveness.js';
import type { Sandbox, SandboxStartOptions } from '../../runner/sandbox/sandbox.js';
import { type RunOutcome as CheckRunOutcome, runChecks } from '../checks/run-checks.js';
import type { Lesson } from '../lessons/schema.js';
import type { LearnerWork, WorkRun } from '../shared/classroom-api.js';
import type {
  AttachChoice,
  ClientMessage,
  Diagnostic,
  OtherRun,
  Phase,
  ServerMessage,
} from '../shared/protocol.js';
import { sourceDigest } from '../shared/source-digest.js';
import type { CheckSummary } from './classroom/activity-store.js';
import type { RunOutcome } from './classroom/stuck-rule.js';
import { LatestOnly } from './latest-only.js';
import { ShellTypist } from './shell-typist.js';
import { TextTail } from './text-tail.js';

export interface SessionClient {
  /** Structured messages: status, diagnostics, errors. */
  send(message: ServerMessage): void;
  /** Terminal output, flow-controlled per tab. */
  output(stream: 'trace' | 'shell', text: string): void;
}

export interface SandboxSource {
  acquire(options?: SandboxStartOptions): Promise<Sandbox>;
}

/** A raised hand's state after the learner asked, or why it could not change. */
export type HandState = { raised: boolean } | { refused: string };

/**
 * What a session needs from the rest of the lab (lessons for checks) and tells it: what the
 * learner's record and the class dashboard show.
 */
export interface SessionHooks {
  lesson(id: string): Lesson | undefined;
  /**
   * A lesson's checks finished. Resolves once they are recorded, and the lesson marked done when
   * every check passed: only then is the learner told.
   */
  checkFinished(learnerId: string, lessonId: string, summary: CheckSummary): Promise<void>;
  /** A Run in a known lesson attached, or failed before it did: once per run. */
  runFinished(learnerId: string, lessonId: string, outcome: RunOutcome, error?: string): void;
  /** The learner did something (any message but a resize or an ack), on `lessonId` if known. */
  active(learnerId: string, lessonId: string | undefined): void;
  /** Raises or lowers the learner's hand. */
  setHand(learnerId: string, raised: boolean, lessonId: string | undefined): Promise<HandState>;
  /** Something the class dashboard shows of this session may have changed. */
  changed(learnerId: string): void;
}

const NO_HOOKS: SessionHooks = {
  lesson: () => undefined,
  checkFinished: async () => {},
  runFinished: () => {},
  active: () => {},
  setHand: async () => ({ refused: 'Raise hand is for classes: join one first.' }),
  changed: () => {},
};

/** What a session is doing now, for the class dashboard (classroom/activity-state.ts). */
export interface SessionLive {
  /** Open tabs; 0 while the session waits for a tab to reconnect. */
  tabs: number;
  /** The lesson the learner last acted on or opened. */
  lessonId: string | undefined;
  phase: Phase;
  checking: boolean;
  /** A probe of theirs is attached. */
  attached: boolean;
  idleMs: number;
  sandbox: 'running' | 'starting' | 'none';
  /** Waiting for a sandbox slot: the place in line, 1 = next (the registry knows it). */
  queuePlace?: number;
}
const HISTORY_LENGTH = 50;
/** How much of the Trace output and of the shell the instructor's view of a learner shows. */
const WORK_TAIL_CHARS = 16_000;

/** What `LearnerSession.work()` knows; the classroom adds who the learner is. */
export type SessionWork = Pick<
  LearnerWork,
  'files' | 'diagnostics' | 'lastRun' | 'trace' | 'shell'
> & {
  lessonId: string | undefined;
};

export interface SessionOptions {
  /** No message from any tab for this long stops the sandbox. */
  idleTimeoutMs: number;
  /** After the last tab closes, the sandbox waits this long for a reconnect. */
  reconnectGraceMs: number;
  /** Shell output kept to replay to a tab that (re)connects. */
  shellScrollbackBytes: number;
}

const SHELL_ID = 'lab-shell';

/** A compile-ahead: the source, and where a Run would attach it now (loaded ahead as that). */
interface PrepareRequest {
  source: string;
  attach?: AttachChoice[];
}

interface RunRequest {
  source: string;
  attach: AttachChoice[];
  lessonId: string;
  /** `stopsRequested` when the Run arrived. */
  stopsSeen: number;
}
const DIM = (text: string) => `\x1b[2m${text}\x1b[0m`;
const YELLOW = (text: string) => `\x1b[33m${text}\x1b[0m`;
const FRESH = 'Starting a fresh one; your code is kept.';
/** Heartbeats in a row that no longer list the shell (it was listed before) to reopen it. */
const SHELL_MISSING_BEATS = 2;
/** Heartbeats that never list the shell since it was opened, to open it again. */
const SHELL_NEVER_SEEN_BEATS = 10;

/** A line for Trace output; the lab's own lines are tagged and dim (the pane can hide them). */
function traceText(text: string, lab: boolean): string {
  return `${lab ? DIM(`${LAB_LINE_TAG}${text}`) : text}\r\n`;
}

export class LearnerSession {
  private readonly clients = new Set<SessionClient>();
  private sandbox: Sandbox | undefined;
  private starting: Promise<Sandbox> | undefined;
  private unsubscribeShell: (() => void) | undefined;
  private run: ProbeRun | undefined;
  private runSource = '';
  /** `sourceDigest(runSource)`: every result of the run names the text it was made for. */
  private runDigest = sourceDigest('');
  private runLines = 0;
  private runEvents = 0;
  /** The latest run's maps, for a tab of its lesson that opens while it runs or after. */
  private maps: { maps: MapSnapshot[]; final: boolean } | undefined;
  private readonly scrollback: TextTail;
  private shellSize = { cols: 80, rows: 24 };
  /** The latest status; `lessonId`: it is about that lesson's run or checks (see `sees`). */
  private status: { phase: Phase; text: string; lessonId?: string } = {
    phase: 'starting',
    text: 'Connecting…',
  };
  /** The lesson each tab shows, once it has said (`view`). */
  private readonly views = new Map<SessionClient, string>();
  /** The lesson the current run was started in (`''`: none given); its tabs see the run. */
  private runView = '';
  /** The run that is attached now, as the tabs of other lessons are told about it. */
  private attachedRun: OtherRun | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private pendingPrepare: PrepareRequest | undefined;
  /**
   * Outcomes of this learner's runs, oldest first, by lesson (`''`: a run sent without one), for
   * `verifier-then-pass` checks: a rejection in one lesson does not count in another.
   */
  private readonly history = new Map<string, CheckRunOutcome[]>();
  private runLessonId = '';
  /** The current run's outcome went to the record (`runFinished`): one per run. */
  private runRecorded = false;
  /** The lesson the learner last acted on or opened (a known one). */
  private currentLesson: string | undefined;
  private readonly runRequests = new LatestOnly<RunRequest>(
    (request, superseded) => this.startRunNow(request, superseded),
    (error) => this.setStatus('error', (error as Error).message),
  );
  /** Types "Run in shell" commands one at a time, at the shell's prompt. */
  private readonly typist = new ShellTypist({
    type: (data) => void this.shellInput(data).catch(() => {}), // the status line says why
    note: (text) => this.broadcastOutput('shell', `\r\n${DIM(text)}\r\n`),
  });
  /** Counts Stop requests, so a Run queued before a Stop is not started after it. */
  private stopsRequested = 0;
  private checking = false;
  /** Set while Check stops the learner's run, so the stop is reported as the checks' doing. */
  private stoppingForChecks = false;
  private preparing = false;
  /** The source the sandbox is compiling ahead right now, if any: a Run of it waits for it. */
  private preparingSource: string | undefined;
  private disposed = false;
  /** Aborts the sandbox start in progress (waiting for a slot, or booting) when it is unwanted. */
  private startAbort: AbortController | undefined;
  private lastActiveAt = performance.now();
  private acted = false;
  private liveness: LivenessWatch | undefined;
  private runWatch: { progress(done: boolean): void; stop(): void } | undefined;
  private shellBeats = { seen: false, missing: 0 };
  /** Why the last sandbox was replaced: said again when the fresh one is ready. */
  private healedBecause: string | undefined;
  /**
   * The learner's files as last saved, kept here and not only in the guest: a fresh sandbox
   * gets them back, so `python3 hello_world.py` in its shell still runs the editor's code.
   */
  private savedFiles: Record<string, string> | undefined;
  /** For the instructor's read-only view (`work`): the latest diagnostics, Run and Trace output. */
  private latestDiagnostics: Diagnostic[] = [];
  private lastRun: WorkRun | undefined;
  private readonly traceTail = new TextTail(WORK_TAIL_CHARS);
  private pendingSave: Record<string, string> | undefined;
  private saving = false;
  /**
   * Settles once the files saved so far are in the sandbox. The shell waits for it: a command
   * typed (or sent by "Run in shell") right after an edit must run the edited file, and a save's
   * files are written one after another, each a round trip to the guest.
   */
  private filesWritten: Promise<void> = Promise.resolve();

  constructor(
    readonly id: string,
    private readonly source: SandboxSource,
    private readonly options: SessionOptions,
    /** Called once the session has stopped for good (last tab gone for the grace period). */
    private readonly onDisposed: (session: LearnerSession) => void = () => {},
    private readonly hooks: SessionHooks = NO_HOOKS,
  ) {
    this.scrollback = new TextTail(options.shellScrollbackBytes);
  }

  get tabCount(): number {
    return this.clients.size;
  }

  get hasSandbox(): boolean {
    return this.sandbox?.isAlive ?? false;
  }

  /** Milliseconds since the learner last did something (resizing a pane does not count). */
  idleForMs(): number {
    return performance.now() - this.lastActiveAt;
  }

  /** Whether the learner has done anything since the session began. */
  hasActed(): boolean {
    return this.acted;
  }

  /** Stops the sandbox to free its slot for a waiting learner; the learner is told why. */
  reclaim(reason: string): void {
    void this.pause(
      `${reason} It starts again when you Run or type in the shell.`,
      '[sandbox given to a waiting learner]',
    );
  }

  /** What the learner is doing now, for the class dashboard. */
  get live(): SessionLive {
    return {
      tabs: this.clients.size,
      lessonId: this.currentLesson,
      phase: this.status.phase,
      checking: this.checking,
      attached: this.attachedRun !== undefined,
      idleMs: this.idleForMs(),
      sandbox: this.sandbox?.isAlive ? 'running' : this.starting ? 'starting' : 'none',
    };
  }

  /**
   * The learner's work as it is now, for the instructor's read-only view: their files beside the
   * current lesson's starters, the compiler's latest diagnostics, their latest Run, and the end of
   * their Trace output and shell. Nothing here is sent to their sandbox.
   */
  work(): SessionWork {
    const lesson = this.currentLesson ? this.hooks.lesson(this.currentLesson) : undefined;
    const starters = new Map(lesson?.files.map((file) => [file.name, file.starter]));
    return {
      lessonId: this.currentLesson,
      files: Object.entries(this.savedFiles ?? {}).map(([name, text]) => ({
        name,
        text,
        starter: starters.get(name) ?? null,
      })),
      diagnostics: this.latestDiagnostics,
      lastRun: this.lastRun ?? null,
      trace: this.traceTail.value,
      shell: this.scrollback.value.slice(-WORK_TAIL_CHARS),
    };
  }

  /** The instructor stops this learner's sandbox to free its slot; the learner is told. */
  endSandbox(): Promise<void> {
    return this.pause(
      'Your instructor stopped your sandbox to make room for others. It starts again when you Run or type in the shell.',
      '[sandbox stopped by your instructor]',
    );
  }

  /** The host process of this learner's sandbox (qemu), while it runs. */
  get sandboxPid(): number | undefined {
    return this.sandbox?.isAlive ? this.sandbox.pid : undefined;
  }

  attach(client: SessionClient): void {
    this.clients.add(client);
    clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    this.touch();
    client.send({ type: 'status', ...this.statusFor(client) });
    const scrollback = this.scrollback.value;
    if (scrollback) client.output('shell', scrollback);
    this.hooks.changed(this.id);
    this.ensureSandbox().catch(() => {}); // the failure is already in the status line
  }

  /**
   * The status a tab that opens (another lesson, a reload) or says which lesson it shows gets:
   * the end of an earlier run, its error, or the verdict of a lesson's checks belongs to the
   * page that made it, and so does a run or check of another lesson in progress. What is in
   * progress for this tab's lesson is still reported.
   */
  private statusFor(client: SessionClient): { phase: Phase; text: string } {
    const inProgress =
      (this.run !== undefined && !this.run.isFinished) || !this.runRequests.idle || this.checking;
    const mine = this.sees(client, this.status.lessonId);
    if ((!inProgress || !mine) && this.sandbox?.isAlive) {
      return {
        phase: 'ready',
        text: `Sandbox ready (${describeSandbox(this.sandbox)}).`,
      };
    }
    if (!mine) return { phase: 'starting', text: 'Starting your sandbox…' };
    return { phase: this.status.phase, text: this.status.text };
  }

  /** A tab says which lesson it shows: from now on it sees that lesson's runs only. */
  private view(client: SessionClient, lessonId: string): void {
    this.views.set(client, lessonId);
    client.send({ type: 'status', ...this.statusFor(client) });
    // The latest run's maps belong to its lesson's page (lesson 12 showed lesson 10's counts).
    if (this.maps && this.sees(client, this.runView)) client.send({ type: 'maps', ...this.maps });
    if (this.attachedRun && !this.sees(client, this.attachedRun.lessonId)) {
      client.send({ type: 'other-run', run: this.attachedRun });
    }
  }

  /**
   * Whether `client` is shown news of lesson `lessonId`: yes unless both are known and differ
   * (a tab that never said its lesson, like a run sent without one, sees everything).
   */
  private sees(client: SessionClient, lessonId: string | undefined): boolean {
    const viewed = this.views.get(client);
    return !lessonId || !viewed || viewed === lessonId;
  }

  /** Tells the tabs of other lessons what is attached now (`attachedRun`, or nothing). */
  private announceOtherRun(): void {
    for (const client of this.clients) {
      if (!this.views.has(client)) continue;
      const run = this.attachedRun;
      const other = run && !this.sees(client, run.lessonId) ? run : null;
      client.send({ type: 'other-run', run: other });
    }
  }

  detach(client: SessionClient): void {
    this.clients.delete(client);
    this.views.delete(client);
    this.hooks.changed(this.id);
    if (this.clients.size > 0 || this.disposed) return;
    clearTimeout(this.closeTimer);
    this.closeTimer = setTimeout(() => void this.dispose(), this.options.reconnectGraceMs);
  }

  /** Handles one validated message from a tab. Never throws: failures go to the status line. */
  async handle(message: ClientMessage, from: SessionClient): Promise<void> {
    this.touch();
    if (message.type !== 'shell-resize' && message.type !== 'ack') {
      this.acted = true;
      this.lastActiveAt = performance.now();
      // The lesson it is about: named in the message, or the one the tab shows.
      const named = 'lessonId' in message ? message.lessonId : undefined;
      const lessonId = named ?? this.views.get(from);
      if (lessonId !== undefined && this.hooks.lesson(lessonId)) this.currentLesson = lessonId;
      this.hooks.active(this.id, this.currentLesson);
      this.hooks.changed(this.id);
    }
    try {
      switch (message.type) {
        case 'run':
          return this.startRun(message.source, message.attach, message.lessonId ?? '');
        case 'stop':
          return await this.stopRun();
        case 'view':
          return this.view(from, message.lessonId);
        case 'prepare':
          return await this.prepare(message);
        case 'shell-input':
          this.typist.learnerTyped();
          await this.filesInPlace();
          return await this.shellInput(message.data);
        case 'shell-run':
          await this.ensureSandbox();
          await this.filesInPlace();
          return this.typist.run(message.commands);
        case 'shell-resize':
          return this.shellResize(message.cols, message.rows);
        case 'bytecode':
          return await this.sendBytecode(from);
        case 'save-files':
          return await this.saveFiles(message.files);
        case 'check':
          return await this.check(message.lessonId, message.files);
        case 'reset-sandbox':
          return await this.resetSandbox();
        case 'raise-hand':
        case 'lower-hand':
          return await this.setHand(message.type === 'raise-hand', from);
        case 'ack':
          return; // flow control is per tab: the connection handles it
      }
    } catch (error) {
      this.setStatus('error', (error as Error).message);
    }
  }

  /** Raise hand: every tab of the learner shows the hand's new state. */
  private async setHand(raised: boolean, from: SessionClient): Promise<void> {
    const state = await this.hooks.setHand(this.id, raised, this.currentLesson);
    if ('refused' in state) {
      from.send({ type: 'hand', raised: false, refused: state.refused });
      return;
    }
    this.broadcast({ type: 'hand', raised: state.raised, by: 'learner' });
  }

  /** A message for every tab of this learner (e.g. a lesson changed on disk). */
  notify(message: ServerMessage): void {
    this.broadcast(message);
  }

  /** Stops everything: the run, the sandbox, the timers. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.closeTimer);
    await this.stopSandbox();
    this.onDisposed(this);
    this.hooks.changed(this.id);
  }

  // ---------------------------------------------------------------- sandbox

  private ensureSandbox(): Promise<Sandbox> {
    if (this.disposed) return Promise.reject(new Error('This session has ended: reload the page.'));
    if (this.sandbox?.isAlive) return Promise.resolve(this.sandbox);
    if (this.starting) return this.starting;
    const why = this.healedBecause ? `${this.healedBecause} ${FRESH}` : undefined;
    this.setStatus('starting', why ?? 'Starting your sandbox…');
    const started = performance.now();
    const abort = new AbortController();
    this.startAbort = abort;
    this.starting = this.source
      .acquire({
        onProgress: (text) =>
          this.setStatus('starting', why ? `${why} (${text})` : `Starting your sandbox: ${text}`),
        signal: abort.signal,
      })
      .then((sandbox) => {
        this.starting = undefined;
        if (this.disposed) {
          void sandbox.stop();
          throw new Error('This session has ended: reload the page.');
        }
        this.sandbox = sandbox;
        void sandbox.exited.then((exit) => this.onSandboxExit(sandbox, exit.reason, exit.detail));
        this.watch(sandbox);
        this.openShell(sandbox);
        if (this.savedFiles) void this.restoreFiles(sandbox, this.savedFiles);
        // A warm sandbox from the pool is ready at once: "0.0 s" would say nothing.
        const seconds = (performance.now() - started) / 1000;
        const took = seconds >= 0.1 ? `, ${seconds.toFixed(1)} s` : '';
        const healed = this.healedBecause;
        this.healedBecause = undefined;
        this.setStatus(
          'ready',
          healed
            ? `A fresh sandbox is ready (${sandbox.mode}${took}): ${healed} Your code is kept.`
            : `Sandbox ready (${describeSandbox(sandbox)}${took}).`,
        );
        return sandbox;
      })
      .catch((error: unknown) => {
        this.starting = undefined;
        this.setStatus('error', `The sandbox could not start: ${(error as Error).message}`);
        throw error;
      });
    return this.starting;
  }

  private onSandboxExit(sandbox: Sandbox, reason: 'stopped' | 'crashed', detail: string): void {
    if (sandbox !== this.sandbox) return;
    this.forget();
    if (reason === 'stopped' || this.disposed) return;
    this.tellReplaced(`The sandbox stopped unexpectedly (${detail}).`);
    if (this.clients.size > 0) this.ensureSandbox().catch(() => {});
  }

  /** Watches the sandbox's heartbeat; a fault replaces the sandbox, saying why. */
  private watch(sandbox: Sandbox): void {
    this.shellBeats = { seen: false, missing: 0 };
    this.liveness = watchLiveness(sandbox.agent, {
      onFault: (fault) => void this.replaceSandbox(sandbox, fault.message),
      onHeartbeat: (beat) => {
        // A shell the agent no longer has (or never opened) is dead: the pane would never
        // echo again. Heartbeats written before the shell opened do not list it yet.
        const beats = this.shellBeats;
        if (beat.shells.includes(SHELL_ID)) {
          beats.seen = true;
          beats.missing = 0;
          return;
        }
        beats.missing++;
        const dead = beats.seen
          ? beats.missing === SHELL_MISSING_BEATS
          : beats.missing === SHELL_NEVER_SEEN_BEATS;
        if (dead && sandbox === this.sandbox) {
          this.shellBeats = { seen: false, missing: 0 };
          this.broadcastOutput(
            'shell',
            `\r\n${DIM('[the shell was gone; starting a new one]')}\r\n`,
          );
          sandbox.agent.send({ type: 'shell-open', id: SHELL_ID, ...this.shellSize });
        }
      },
      onGuestEvent: (event) => {
        // The guest coped by itself (a fork bomb stopped, a process out of memory, files
        // full): the learner hears what happened, in the shell pane and as a notice.
        this.broadcastOutput('shell', `\r\n${YELLOW(`[${event.message}]`)}\r\n`);
        this.broadcast({ type: 'error', code: 'limit', message: event.message });
      },
    });
  }

  /**
   * Stops a sandbox that is broken or that the learner reset, and starts a fresh one at once
   * (the pool keeps one warm). The learner's files come back (see `savedFiles`).
   */
  private async replaceSandbox(
    sandbox: Sandbox,
    why: string,
    phase: Phase = 'error',
  ): Promise<void> {
    if (sandbox !== this.sandbox || this.disposed) return;
    this.forget();
    this.tellReplaced(why, phase);
    await sandbox.stop();
    if (this.clients.size > 0) this.ensureSandbox().catch(() => {});
  }

  private tellReplaced(why: string, phase: Phase = 'error'): void {
    this.healedBecause = why;
    this.setStatus(phase, `${why} ${FRESH}`);
    this.broadcastOutput('shell', `\r\n${YELLOW(`[${why} ${FRESH}]`)}\r\n`);
  }

  private async resetSandbox(): Promise<void> {
    if (this.starting) return; // a fresh one is already on its way
    const sandbox = this.sandbox;
    if (!sandbox) {
      await this.ensureSandbox();
      return;
    }
    await this.replaceSandbox(sandbox, 'You reset the sandbox.', 'starting');
  }

  /** Lets go of the current sandbox's shell, run and watches (it is stopping or gone). */
  private forget(): void {
    this.sandbox = undefined;
    this.unsubscribeShell?.();
    this.liveness?.stop();
    this.runWatch?.stop();
    this.run = undefined;
    if (this.attachedRun) {
      this.attachedRun = undefined;
      this.announceOtherRun();
    }
  }

  private async stopSandbox(): Promise<void> {
    const sandbox = this.sandbox;
    this.forget();
    const starting = this.starting;
    this.startAbort?.abort();
    if (starting) await starting.then((s) => s.stop()).catch(() => {});
    await sandbox?.stop();
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.idleStop(), this.options.idleTimeoutMs);
  }

  private async idleStop(): Promise<void> {
    const idle = formatLimitValue(this.options.idleTimeoutMs, 'ms');
    await this.pause(
      `Sandbox stopped after ${idle} without activity. It starts again when you Run or type in the shell.`,
      `[sandbox stopped after ${idle} idle]`,
    );
  }

  /** Stops the sandbox but not the session: the next Run or keystroke starts a new one. */
  private async pause(statusText: string, shellNote: string): Promise<void> {
    if (!this.sandbox && !this.starting) return;
    await this.stopSandbox();
    this.setStatus('stopped', statusText);
    this.broadcastOutput('shell', `\r\n${DIM(shellNote)}\r\n`);
  }

  // ---------------------------------------------------------------- shell

  private openShell(sandbox: Sandbox): void {
    this.typist.reset();
    this.unsubscribeShell = sandbox.agent.onMessage((message) => {
      if (message.type === 'shell-output' && message.id === SHELL_ID) {
        const text = Buffer.from(message.data, 'base64').toString('utf8');
        this.scrollback.append(text);
        this.broadcastOutput('shell', text);
        this.typist.observe(text);
      } else if (message.type === 'error' && message.id === SHELL_ID && message.code === 'busy') {
        // The guest's own bound on input the shell has not read (the shell reads slowly).
        this.refuseShellInput(`${message.message}. Press Ctrl-C to drop it.`);
      } else if (message.type === 'shell-exit' && message.id === SHELL_ID) {
        // `exit` in the shell: give the learner a new one rather than a dead pane.
        this.broadcastOutput('shell', `\r\n${DIM('[shell exited; starting a new one]')}\r\n`);
        this.shellBeats = { seen: false, missing: 0 };
        this.typist.reset();
        if (sandbox.isAlive)
          sandbox.agent.send({ type: 'shell-open', id: SHELL_ID, ...this.shellSize });
      }
    });
    sandbox.agent.send({ type: 'shell-open', id: SHELL_ID, ...this.shellSize });
  }

  private async shellInput(data: string): Promise<void> {
    const sandbox = await this.ensureSandbox();
    // Backpressure: what the guest has not taken yet stays bounded; the rest is refused.
    const backlog = sandbox.agent.pendingBytes;
    if (backlog > LIMITS.shellInputBacklogBytes.value) {
      this.refuseShellInput(
        `the sandbox has not yet read the ${formatLimitValue(backlog, 'bytes')} typed before (${LIMITS.shellInputBacklogBytes.what} limit: ${formatLimitValue(LIMITS.shellInputBacklogBytes.value, 'bytes')}, shellInputBacklogBytes).`,
      );
      return;
    }
    sandbox.agent.send({
      type: 'shell-input',
      id: SHELL_ID,
      data: Buffer.from(data).toString('base64'),
    });
  }

  /** Input was refused, by the host's bound or the guest's: the learner's tabs say why. */
  private refuseShellInput(why: string): void {
    this.broadcast({ type: 'error', code: 'limit', message: `Shell input refused: ${why}` });
  }

  private shellResize(cols: number, rows: number): void {
    this.shellSize = { cols, rows };
    if (this.sandbox?.isAlive)
      this.sandbox.agent.send({ type: 'shell-resize', id: SHELL_ID, cols, rows });
  }

  // ---------------------------------------------------------------- runs

  /**
   * A Run replaces whatever run is starting, attached or stopping, and Runs that arrive
   * meanwhile collapse to the newest: one run goes to the sandbox at a time, never a backlog.
   * The status says at once that the old probe is going, never that it is still attached.
   */
  private startRun(source: string, attach: AttachChoice[], lessonId: string): void {
    const previous = this.run !== undefined && !this.run.isFinished;
    this.setStatus(
      'compiling',
      previous ? 'Run: detaching the previous probe first…' : 'Run: starting…',
      lessonId,
    );
    this.runRequests.submit({ source, attach, lessonId, stopsSeen: this.stopsRequested });
  }

  private async startRunNow(request: RunRequest, superseded: () => boolean): Promise<void> {
    const sandbox = await this.ensureSandbox();
    // The learner waits from here until the probe is attached, or the Run fails or is dropped.
    const endWait = sandbox.favour?.() ?? (() => {});
    const started = await this.replaceRun(sandbox, request, superseded, endWait).catch(
      (error: unknown) => {
        endWait();
        throw error;
      },
    );
    if (!started) endWait();
  }

  /**
   * Stops the previous run and starts `request`'s, unless it was superseded or stopped meanwhile
   * (then false). `endWait` is called once the new run is attached or has failed.
   */
  private async replaceRun(
    sandbox: Sandbox,
    request: RunRequest,
    superseded: () => boolean,
    endWait: () => void,
  ): Promise<boolean> {
    // Say what the Run waits for at every moment: the sandbox runs one compile at a time.
    if (this.preparingSource === request.source) {
      this.setStatus(
        'compiling',
        'Waiting for the compile already started for this code…',
        request.lessonId,
      );
    } else if (this.preparingSource !== undefined) {
      this.setStatus(
        'compiling',
        'Waiting for an earlier compile-ahead to finish…',
        request.lessonId,
      );
    } else if (this.run && !this.run.isFinished) {
      this.setStatus('compiling', 'Stopping the previous run…', request.lessonId);
    } else {
      this.setStatus('compiling', 'Sending the probe to the sandbox…', request.lessonId);
    }
    const previous = this.run;
    const previousView = this.runView;
    // From here on the previous run's events are not this session's news: it is being replaced.
    this.run = undefined;
    if (this.attachedRun) {
      this.attachedRun = undefined;
      this.announceOtherRun();
    }
    if (previous && !previous.isFinished) {
      await previous.stop();
      const by = previousView === request.lessonId ? 'a new Run' : 'a Run in another lesson';
      this.broadcastOutput(
        'trace',
        `${DIM(`[previous run stopped: ${by} replaces it]`)}\r\n`,
        previousView,
      );
      if (previousView !== request.lessonId) {
        this.setStatus('stopped', `Stopped: ${by} replaced this lesson's probe.`, previousView);
      }
    }
    // A newer Run waits (it goes next), or Stop was pressed since this Run: do not start it.
    if (superseded()) return false;
    if (this.stopsRequested !== request.stopsSeen) {
      this.setStatus('stopped', 'Stopped: nothing is attached.', request.lessonId);
      return false;
    }
    const { source, attach, lessonId } = request;
    this.runView = lessonId;
    this.runSource = source;
    this.runDigest = sourceDigest(source);
    // Unknown ids all count as none: the history holds at most one list per real lesson.
    this.runLessonId = this.hooks.lesson(lessonId) ? lessonId : '';
    this.runRecorded = false;
    this.runLines = 0;
    this.runEvents = 0;
    this.maps = undefined;
    this.runWatch?.stop();
    const watch = watchRunProgress({
      onStuck: (fault) => void this.replaceSandbox(sandbox, fault.message),
    });
    this.runWatch = watch;
    const run = ProbeRun.start(sandbox.agent, { source, attach }, (event) => {
      const settled =
        event.type === 'attached' || event.type === 'stopped' || event.type === 'error';
      if (settled) endWait();
      if (run === this.run) watch.progress(settled);
      this.onRunEvent(run, event);
    });
    this.run = run;
    return true;
  }

  /** Stops the run, and cancels a Run that has not reached the sandbox yet. */
  private async stopRun(): Promise<void> {
    this.stopsRequested++;
    this.runRequests.dropWaiting();
    if (this.run && !this.run.isFinished) await this.run.stop();
  }

  private onRunEvent(run: ProbeRun, event: ProbeRunEvent): void {
    if (run !== this.run) return;
    const scope = this.runView;
    switch (event.type) {
      case 'stage':
        if (event.stage === 'compiling') {
          this.setStatus(
            'compiling',
            event.cached
              ? 'Compiling: already compiled, reusing it…'
              : 'Compiling with clang in the sandbox…',
            scope,
          );
        } else if (event.stage === 'loading') {
          this.setStatus('loading', 'Loading into the kernel: the verifier is checking it…', scope);
        }
        break;
      case 'warnings':
        this.latestDiagnostics = event.diagnostics;
        this.broadcast(
          { type: 'diagnostics', source: this.runDigest, diagnostics: event.diagnostics },
          scope,
        );
        break;
      case 'attached': {
        this.remember('attached');
        this.record('attached');
        const where = event.probes.map((p) => `${p.kind} ${p.event}`).join(', ');
        this.lastRun = {
          outcome: 'attached',
          message: `Attached to ${where}.`,
          verifier: null,
          at: Date.now(),
        };
        const held = event.tracePipeHolders.length > 0;
        const heldBy = held ? describeTracePipeHolders(event.tracePipeHolders) : '';
        this.setStatus(
          'attached',
          held
            ? `Attached to ${where}, but ${heldBy}`
            : `Attached to ${where}. Trigger it in the shell, e.g. ls.`,
          scope,
        );
        if (held) this.broadcastOutput('trace', `${YELLOW(`[${heldBy}]`)}\r\n`, scope);
        this.broadcast({ type: 'attached', source: this.runDigest, probes: event.probes }, scope);
        const title = this.hooks.lesson(scope)?.meta.title ?? scope;
        this.attachedRun = { lessonId: scope, title, where };
        this.announceOtherRun();
        break;
      }
      case 'notice':
        this.broadcastOutput('trace', `${YELLOW(`[${event.message}]`)}\r\n`, scope);
        break;
      case 'trace-pipe-free': {
        const where = this.attachedRun?.where ?? 'the probe';
        this.setStatus('attached', `Attached to ${where}. ${TRACE_PIPE_FREE_NOTE}`, scope);
        this.broadcastOutput('trace', `${YELLOW(`[${TRACE_PIPE_FREE_NOTE}]`)}\r\n`, scope);
        break;
      }
      case 'trace':
        this.runLines++;
        this.broadcastOutput(
          'trace',
          traceText(event.parsed ? formatTraceLine(event.parsed) : event.raw, event.lab),
          scope,
        );
        break;
      case 'event':
        this.runEvents++;
        this.broadcastOutput('trace', traceText(formatEvent(event.event), event.lab), scope);
        break;
      case 'events-dropped':
        this.broadcastOutput(
          'trace',
          `${DIM(`[${event.count} events lost: over the rate limit, or the buffer was full]`)}\r\n`,
        );
        break;
      case 'maps':
        this.maps = { maps: event.maps, final: event.final };
        this.broadcast({ type: 'maps', ...this.maps }, scope);
        break;
      case 'dropped':
        this.broadcastOutput(
          'trace',
          `${DIM(`[${event.count} lines dropped: over the trace rate limit]`)}\r\n`,
          scope,
        );
        break;
      case 'error': {
        const { kind, message, diagnostics, verifier, log } = event.error;
        this.lastRun = { outcome: kind, message, verifier: verifier ?? null, at: Date.now() };
        if (diagnostics.length > 0) this.latestDiagnostics = diagnostics;
        this.remember(kind);
        // A sandbox that died is the lab's doing, not an outcome of the learner's code.
        if (kind !== 'sandbox') this.record(kind, message);
        const source = this.runDigest;
        this.broadcast(
          { type: 'run-error', source, kind, message, diagnostics, verifier, log },
          scope,
        );
        if (diagnostics.length > 0) {
          this.broadcast({ type: 'diagnostics', source, diagnostics }, scope);
        }
        this.setStatus('error', message, scope);
        break;
      }
      case 'stopped':
        this.broadcast(
          {
            type: 'stopped',
            reason: this.stoppingForChecks ? 'checks' : event.reason,
            lines: this.runLines,
            events: this.runEvents,
          },
          scope,
        );
        if (!run.error) {
          const events =
            this.runEvents > 0 ? `, ${this.runEvents} event${this.runEvents === 1 ? '' : 's'}` : '';
          this.setStatus(
            'stopped',
            `Stopped: the probe is detached (${this.runLines} trace line${this.runLines === 1 ? '' : 's'}${events}).`,
            scope,
          );
        }
        if (this.attachedRun) {
          this.attachedRun = undefined;
          this.announceOtherRun();
        }
        break;
    }
  }

  /** Compile-ahead, coalesced: while one compile runs, only the newest source waits. */
  private async prepare(newest: PrepareRequest): Promise<void> {
    this.pendingPrepare = newest;
    if (this.preparing) return;
    this.preparing = true;
    try {
      while (this.pendingPrepare !== undefined) {
        const { source, attach } = this.pendingPrepare;
        this.pendingPrepare = undefined;
        const sandbox = await this.ensureSandbox();
        this.preparingSource = source;
        const result = await prepareProbe(sandbox.agent, source, { attach }).finally(() => {
          this.preparingSource = undefined;
        });
        const diagnostics = result.error ? result.error.diagnostics : result.warnings;
        this.latestDiagnostics = diagnostics;
        this.broadcast({ type: 'diagnostics', source: sourceDigest(source), diagnostics });
      }
    } finally {
      this.preparing = false;
    }
  }

  /** The run's outcome, for the learner's record: its first only (an attached run may fail later). */
  private record(outcome: RunOutcome, error?: string): void {
    if (this.runRecorded || !this.runLessonId) return;
    this.runRecorded = true;
    this.hooks.runFinished(this.id, this.runLessonId, outcome, error);
  }

  private remember(outcome: CheckRunOutcome): void {
    const runs = this.history.get(this.runLessonId) ?? [];
    runs.push(outcome);
    if (runs.length > HISTORY_LENGTH) runs.shift();
    this.history.set(this.runLessonId, runs);
  }

  /**
   * Saves coalesce: while one is written, only the newest waits, so a flood of saves holds at
   * most two sets of files in memory, whatever the tab sends.
   */
  private saveFiles(files: Record<string, string>): Promise<void> {
    this.savedFiles = files;
    this.pendingSave = files;
    if (this.saving) return Promise.resolve(); // the loop in progress writes them next
    this.saving = true;
    this.filesWritten = this.writePendingFiles().finally(() => {
      this.saving = false;
      this.pendingSave = undefined;
    });
    return this.filesWritten;
  }

  private async writePendingFiles(): Promise<void> {
    while (this.pendingSave !== undefined) {
      const next = this.pendingSave;
      this.pendingSave = undefined;
      const sandbox = await this.ensureSandbox();
      await writeFiles(sandbox.agent, next);
    }
  }

  /** Waits for the files saved so far to be written; a failed save is the status line's to say. */
  private filesInPlace(): Promise<void> {
    return this.filesWritten.catch(() => {});
  }

  private async restoreFiles(sandbox: Sandbox, files: Record<string, string>): Promise<void> {
    try {
      await writeFiles(sandbox.agent, files);
    } catch (error) {
      this.broadcastOutput(
        'shell',
        `\r\n${DIM(`[your files could not be copied into the fresh sandbox: ${(error as Error).message}]`)}\r\n`,
      );
    }
  }

  /** Runs a lesson's checks on the learner's files; results stream to every tab. */
  private async check(lessonId: string, files: Record<string, string>): Promise<void> {
    const lesson = this.hooks.lesson(lessonId);
    if (!lesson) {
      this.broadcast({
        type: 'error',
        code: 'malformed',
        message: `no lesson "${lessonId}" to check`,
      });
      return;
    }
    if (this.checking) {
      this.broadcast({
        type: 'error',
        code: 'busy',
        message: 'Checks are already running: wait for them.',
      });
      return;
    }
    this.checking = true;
    this.savedFiles = files;
    let endWait = () => {};
    try {
      const sandbox = await this.ensureSandbox();
      endWait = sandbox.favour?.() ?? endWait;
      this.stoppingForChecks = true;
      try {
        await this.stopRun();
      } finally {
        this.stoppingForChecks = false;
      }
      this.setStatus('compiling', `Checking ${lesson.meta.title}…`, lessonId);
      const starters = Object.fromEntries(lesson.files.map((f) => [f.name, f.starter]));
      const results = await runChecks({
        sandbox,
        lesson,
        files: { ...starters, ...files },
        mode: 'learner',
        history: this.history.get(lessonId) ?? [],
        shellOutput: this.scrollback.value,
        onResult: (index, result) =>
          this.broadcast({ type: 'check-result', lessonId, index, result }),
      });
      const passed = results.every((r) => r.status === 'passed');
      const count = results.filter((r) => r.status === 'passed').length;
      const failed = results.find((r) => r.status !== 'passed');
      await this.hooks.checkFinished(this.id, lessonId, {
        passed,
        checksPassed: count,
        checksTotal: results.length,
        firstErrorLine: failed && `${failed.title}: ${failed.detail ?? 'failed'}`,
      });
      this.broadcast({ type: 'check-done', lessonId, passed });
      this.setStatus(
        'ready',
        passed
          ? `${count === 1 ? 'The check' : `All ${count} checks`} passed: lesson done.`
          : `${count} of ${results.length} checks passed: see the hints.`,
        lessonId,
      );
    } catch (error) {
      // A check always ends with check-done, so the tab's Check button comes back.
      this.broadcast({ type: 'check-done', lessonId, passed: false });
      this.setStatus('error', `The checks could not finish: ${(error as Error).message}`, lessonId);
    } finally {
      endWait();
      this.checking = false;
      this.hooks.changed(this.id);
    }
  }

  private async sendBytecode(client: SessionClient): Promise<void> {
    if (!this.sandbox?.isAlive || !this.run) {
      client.send({
        type: 'bytecode',
        programs: [],
        error: 'Run a probe first: the bytecode view shows the loaded program.',
      });
      return;
    }
    try {
      const programs = await dumpPrograms(this.sandbox.agent, this.runSource);
      client.send({
        type: 'bytecode',
        source: this.runDigest,
        programs: programs.map((p) => ({
          name: p.name,
          id: p.id,
          xlated: p.xlated,
          jited: p.jited,
          jitedNote: p.note,
        })),
      });
    } catch (error) {
      client.send({
        type: 'bytecode',
        programs: [],
        error: `Could not read the program: ${(error as Error).message}`,
      });
    }
  }

  // ---------------------------------------------------------------- broadcast

  /** `lessonId`: the status is about that lesson's run or checks; only its tabs are told. */
  private setStatus(phase: Phase, text: string, lessonId?: string): void {
    this.status = { phase, text, lessonId };
    this.broadcast({ type: 'status', phase, text }, lessonId);
    this.hooks.changed(this.id);
  }

  /** To every tab, or with `lessonId` to the tabs that see that lesson's news. */
  private broadcast(message: ServerMessage, lessonId?: string): void {
    for (const client of this.clients) if (this.sees(client, lessonId)) client.send(message);
  }

  private broadcastOutput(stream: 'trace' | 'shell', text: string, lessonId?: string): void {
    if (stream === 'trace') this.traceTail.append(text);
    for (const client of this.clients) {
      if (this.sees(client, lessonId)) client.output(stream, text);
    }
  }
}
