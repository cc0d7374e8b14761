/**
 * The lesson page (/lessons/:id): builds the lesson, editor, checks, bytecode and terminal panes
 * and connects them to the lab server. The learner's actions become client messages, and every
 * server message becomes something the page shows. In authoring mode the lesson reloads itself
 * when its files change on disk.
 */
import { WEB_PROTOCOL_VERSION } from '../shared/constants.js';
import type { AttachChoice, Phase, ServerMessage, ServerMessageOf } from '../shared/protocol.js';
import { fetchLesson, type Lesson, markLessonStarted } from './api.js';
import { BytecodeView } from './bytecode-view.js';
import { ChecksPanel } from './checks-panel.js';
import { ClassControls } from './class-controls.js';
import { Connection, type ConnectionState } from './connection.js';
import { h } from './dom.js';
import { EditorPane } from './editor.js';
import { AckBatcher } from './flow-control.js';
import { createLessonContent, type LessonContent } from './lesson-content.js';
import { createLessonLayout, type LessonLayout } from './lesson-layout.js';
import { MapsView } from './maps-view.js';
import { OtherRunNotice } from './other-run-notice.js';
import { renderError, topBar } from './page-frame.js';
import { ResetSandboxControl } from './reset-sandbox.js';
import { filesProblem, SandboxFileSaver } from './sandbox-files.js';
import { ShellPane } from './shell-pane.js';
import { StatusLine, toneOfPhase } from './status.js';
import { TabFocusMode } from './tab-focus.js';
import { TracePane } from './trace-pane.js';

/** Run stays disabled this long after a click, unless the server answers sooner. */
const RUN_ANSWER_TIMEOUT_MS = 5000;
/** A verifier log can be long; the end is where the complaint is. */
const MAX_LOG_LINES = 300;
/** How Trace output's `── stopped… ──` note says why a run stopped, by the server's reason. */
const STOP_REASONS: Readonly<Record<string, string>> = {
  requested: '',
  checks: ' for the checks',
  limit: ': a limit was reached',
  timeout: ': the run time limit was reached',
  error: ' after an error',
};
const DEFAULT_SOURCE_LIMIT = 64 * 1024;

const BUSY_PHASES: ReadonlySet<Phase> = new Set(['starting', 'compiling', 'loading']);

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(bytes % 1024 === 0 ? 0 : 1)} KiB`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function lastLines(text: string, max: number): string {
  const lines = text.replace(/\s+$/, '').split(/\r?\n/);
  if (lines.length <= max) return lines.join('\n');
  return [`… (${lines.length - max} earlier lines not shown)`, ...lines.slice(-max)].join('\n');
}

export async function showLessonPage(root: HTMLElement, lessonId: string): Promise<void> {
  let lesson: Lesson;
  try {
    lesson = await fetchLesson(lessonId);
  } catch (err) {
    const notFound = (err as { status?: number }).status === 404;
    renderError(
      root,
      notFound ? 'Lesson not found' : 'Could not load the lesson',
      notFound ? `There is no lesson "${lessonId}".` : (err as Error).message,
    );
    return;
  }
  new LessonPage(root, lesson);
}

class LessonPage {
  private readonly status = new StatusLine();
  private readonly connection: Connection;
  private readonly acks: AckBatcher;
  private readonly editor: EditorPane;
  private readonly bytecode = new BytecodeView();
  private readonly maps = new MapsView();
  private readonly checks = new ChecksPanel();
  private readonly saver: SandboxFileSaver;
  private readonly content: LessonContent;
  private readonly titleElement: HTMLElement | null;
  /** "done ✓" next to the title: shown once the lesson's checks have passed. */
  private readonly doneBadge: HTMLElement;
  private readonly trace: TracePane;
  private readonly shell: ShellPane;
  private readonly layout: LessonLayout;
  private readonly tabFocus = new TabFocusMode();
  /** Says when a probe of another lesson is attached, with a way to stop it. */
  private readonly otherRun = new OtherRunNotice(() => this.stop());
  /** Raise hand and the instructor's banner, for members of a class. */
  private readonly classControls: ClassControls;

  private phase: Phase | null = null;
  private connected = false;
  private everConnected = false;
  /** Set while a Run waits for the server's first answer (guards against double clicks). */
  private runPending: number | undefined;
  private sourceLimitBytes = DEFAULT_SOURCE_LIMIT;
  /** The source and attach points last sent with `prepare` or `run` (see `prepareKey`): the
   * same text is not compiled ahead twice for the same kind. */
  private lastPrepared: string | null = null;
  /** Compile ahead once the (re)connected sandbox is ready. */
  private prepareWhenReady = false;
  /** The lines of the latest Run's source: the bytecode's line numbers refer to them. */
  private runSourceLines: string[] | null = null;
  private progress: 'unsent' | 'sending' | 'sent' = 'unsent';
  /** Set from a Check until its `check-done` (or an error, or a lost connection). */
  private checking = false;
  /** A reload of the lesson (it changed on disk) is in flight; `reloadAgain`: another is due. */
  private reloading = false;
  private reloadAgain = false;

  constructor(
    root: HTMLElement,
    private lesson: Lesson,
  ) {
    this.connection = new Connection({
      message: (message) => this.handle(message),
      state: (state) => this.connectionChanged(state),
    });
    const send = this.connection.send.bind(this.connection);
    this.acks = new AckBatcher(send);
    this.saver = new SandboxFileSaver({
      read: () => this.editor.fileTexts(),
      send: (files) => send({ type: 'save-files', files }),
      refused: (problem) => this.status.show(`Not saved to the sandbox: ${problem}.`, 'warn'),
    });
    this.editor = new EditorPane(
      lesson,
      {
        run: () => this.run(),
        stop: () => this.stop(),
        check: () => this.check(),
        prepare: (source) => {
          // An edit can take away the problems of a text sent before (select all, paste it
          // back): ask again. The sandbox answers a text it compiled from its cache.
          this.lastPrepared = null;
          this.prepare(source);
        },
        edited: () => this.saver.edited(),
        syncedFromOtherTab: (name) =>
          this.status.flash(
            `${name} updated with your edits from another tab of this lesson`,
            'ok',
          ),
      },
      this.tabFocus,
    );
    this.trace = new TracePane(this.acks, (lines) => this.layout.newOutput('trace', lines));
    // Enter in the shell runs a command: an edit not saved yet goes first (see flush).
    this.shell = new ShellPane(
      (message) => {
        if (message.type === 'shell-input' && message.data.includes('\r')) this.saver.flush();
        return send(message);
      },
      this.acks,
      this.tabFocus,
    );
    this.content = createLessonContent(lesson, {
      openInEditor: (text, language) => this.editor.openText(text, language),
      runInShell: (commands) => this.runInShell(commands),
    });
    // No probe, no program to show.
    this.bytecode.element.hidden = !this.editor.hasRunFile;
    this.maps.element.hidden = !this.editor.hasRunFile;
    this.layout = createLessonLayout({
      lesson: this.content.element,
      editor: this.editor.element,
      checks: this.checks.element,
      bytecode: this.bytecode.element,
      maps: this.maps.element,
      trace: this.trace.element,
      shell: this.shell.element,
    });

    this.doneBadge = h(
      'span',
      { class: 'lesson-done-badge', title: "You have passed this lesson's checks" },
      'done ✓',
    );
    this.doneBadge.hidden = lesson.state !== 'done';
    // A done lesson stays done: running a probe in it again does not make it "started".
    if (lesson.state === 'done') this.progress = 'sent';
    const reset = new ResetSandboxControl(send, () =>
      this.status.show('Not connected to the lab server: reset once it is back.', 'error'),
    );
    this.classControls = new ClassControls(send, lesson.id, (text) =>
      this.status.show(text, 'warn'),
    );
    const badges = document.createDocumentFragment();
    badges.append(this.doneBadge, this.otherRun.element);
    const header = topBar(
      lesson.title,
      h(
        'div',
        { class: 'top-bar-status' },
        this.status.element,
        this.classControls.handButton,
        reset.element,
      ),
      badges,
    );
    this.titleElement = header.querySelector('.top-bar-title');
    document.title = `${lesson.title} · ebpf-lab`;
    root.replaceChildren(
      h('div', { class: 'lesson-page' }, header, this.classControls.banner, this.layout.element),
    );
    this.editor.mount();
    this.trace.mount();
    this.shell.mount();
    this.updateControls();
    document.addEventListener('keydown', (event) => this.globalKey(event));
    this.connection.start();
    void this.classControls.load();
  }

  // ------------------------------------------------------------------ learner actions

  private canRun(): boolean {
    return (
      this.connected &&
      this.runPending === undefined &&
      !this.checking &&
      !(this.phase && BUSY_PHASES.has(this.phase)) &&
      this.editor.hasRunFile
    );
  }

  /** Checks need a booted sandbox (no status yet means it is still on its way). */
  private canCheck(): boolean {
    return (
      this.connected &&
      !this.checking &&
      this.runPending === undefined &&
      this.phase !== null &&
      this.phase !== 'starting'
    );
  }

  private updateControls(): void {
    this.editor.setControls({
      canRun: this.canRun(),
      canStop: this.connected && this.phase === 'attached',
      canCheck: this.canCheck(),
    });
  }

  private run(): void {
    if (!this.canRun()) return;
    const source = this.editor.runSource();
    if (source === null) return;
    const size = byteLength(source);
    if (size > this.sourceLimitBytes) {
      this.status.show(
        `The probe's source is ${kib(size)}; the limit is ${kib(this.sourceLimitBytes)}.`,
        'error',
      );
      return;
    }
    // The shell's copy of the files matches what runs (the Python half may read them).
    this.saver.saveNow();
    this.editor.diagnostics.sent(source);
    if (
      !this.connection.send({
        type: 'run',
        source,
        attach: this.editor.attach,
        lessonId: this.lesson.id,
      })
    ) {
      this.status.show('Not connected to the lab server: Run again once it is back.', 'error');
      return;
    }
    this.runSourceLines = source.split(/\r?\n/);
    this.lastPrepared = prepareKey(source, this.editor.attach);
    // The previous run's phase no longer holds; the server's answer will say what does.
    this.phase = null;
    this.runPending = window.setTimeout(() => this.clearRunPending(), RUN_ANSWER_TIMEOUT_MS);
    // Only until the server answers, at once, with the stage the Run is really at.
    this.status.show('Run sent to the lab server…', 'busy');
    this.updateControls();
  }

  private clearRunPending(): void {
    if (this.runPending === undefined) return;
    window.clearTimeout(this.runPending);
    this.runPending = undefined;
    this.updateControls();
  }

  private check(): void {
    if (!this.canCheck()) return;
    const files = this.editor.fileTexts();
    const problem = filesProblem(files);
    if (problem) {
      this.status.show(`Cannot check: ${problem}.`, 'error');
      return;
    }
    // /root gets the same files first, so what the shell runs and what was checked agree.
    this.saver.saveNow();
    if (!this.connection.send({ type: 'check', lessonId: this.lesson.id, files })) {
      this.status.show('Not connected to the lab server: Check again once it is back.', 'error');
      return;
    }
    this.checking = true;
    this.checks.start();
    // The server's statuses keep coming while the checks run; the line says whose they are.
    this.status.setActivity('Checking…');
    this.status.show('Checking…', 'busy');
    this.updateControls();
  }

  /** The checks are over, one way or another (`reason` when they did not finish). */
  private endChecks(reason: string | null): void {
    if (!this.checking) return;
    this.checking = false;
    this.status.setActivity(null);
    if (reason !== null) this.checks.interrupted(reason);
    this.updateControls();
  }

  private showDone(): void {
    this.doneBadge.hidden = false;
    // The server recorded it; a later "started" must not look like news.
    this.progress = 'sent';
  }

  private stop(): void {
    if (!this.connection.send({ type: 'stop' })) {
      this.status.show('Not connected to the lab server.', 'error');
    }
  }

  /** Compile-ahead of the probe's source (debounced by the editor while the learner types). */
  private prepare(source: string): void {
    const attach = this.editor.attach;
    const key = prepareKey(source, attach);
    if (key === this.lastPrepared) return;
    // Too large to run: Run will say so; compiling it ahead would only earn an error.
    if (byteLength(source) > this.sourceLimitBytes) return;
    this.editor.diagnostics.sent(source);
    if (this.connection.send({ type: 'prepare', source, attach })) {
      this.lastPrepared = key;
    }
  }

  private runInShell(commands: string): void {
    this.layout.showTerminal('shell');
    if (!this.connected) {
      this.status.show('Not connected to the lab server: the shell is not available.', 'error');
      return;
    }
    // The server types them one at a time, each at the shell's prompt (never into a program).
    const lines = commands.split('\r').filter((line) => line.length > 0);
    this.saver.flush();
    if (lines.length > 0) this.connection.send({ type: 'shell-run', commands: lines });
    this.shell.focus();
  }

  /** Ctrl/Cmd+Enter runs from anywhere but the shell (Monaco handles it inside the editor). */
  private globalKey(event: KeyboardEvent): void {
    if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey) || event.defaultPrevented)
      return;
    const target = event.target instanceof Node ? event.target : null;
    if (this.editor.contains(target) || (target && this.shell.element.contains(target))) return;
    event.preventDefault();
    this.run();
  }

  private recordProgress(): void {
    if (this.progress !== 'unsent') return;
    this.progress = 'sending';
    void markLessonStarted(this.lesson.id).then((ok) => {
      this.progress = ok ? 'sent' : 'unsent';
    });
  }

  // ------------------------------------------------------------------ server

  private connectionChanged(state: ConnectionState): void {
    switch (state.kind) {
      case 'connecting':
        this.status.setConnectionProblem(
          this.everConnected
            ? `Reconnecting to the lab server… (attempt ${state.attempt})`
            : 'Connecting to the lab server…',
          'busy',
        );
        break;
      case 'open':
        this.connected = true;
        // A new connection has fresh flow-control windows: nothing of the old one is acked.
        this.acks.reset();
        break;
      case 'waiting': {
        this.connected = false;
        this.phase = null;
        this.classControls.answered();
        this.clearRunPending();
        this.saver.disconnected();
        this.endChecks('the connection to the lab server was lost');
        const seconds = Math.max(1, Math.round(state.delayMs / 1000));
        const why = state.reason ? ` (${state.reason})` : '';
        this.status.setConnectionProblem(
          this.everConnected
            ? `Connection to the lab server lost${why}; reconnecting in ${seconds} s…`
            : `Cannot reach the lab server${why}; retrying in ${seconds} s…`,
          this.everConnected ? 'warn' : 'error',
        );
        break;
      }
    }
    this.updateControls();
  }

  private handle(message: ServerMessage): void {
    switch (message.type) {
      case 'hello':
        this.onHello(message);
        break;
      case 'status':
        this.onStatus(message);
        break;
      case 'attached':
        this.onAttached(message);
        break;
      case 'trace':
        this.trace.write(message.data);
        break;
      case 'shell-output':
        this.shell.write(message.data);
        break;
      case 'truncated': {
        const note = `[output truncated: ${message.droppedBytes} bytes dropped — ${message.reason}]`;
        if (message.stream === 'shell') this.shell.note(note);
        else this.trace.note(note);
        break;
      }
      case 'diagnostics':
        this.editor.diagnostics.compileResult(message.source, message.diagnostics ?? []);
        break;
      case 'run-error':
        this.onRunError(message);
        break;
      case 'stopped':
        this.onStopped(message);
        break;
      case 'bytecode':
        this.bytecode.render(message, (line) => this.sourceLine(line));
        break;
      case 'maps':
        this.maps.render(message);
        break;
      case 'check-result':
        if (message.lessonId === this.lesson.id) this.checks.result(message.index, message.result);
        break;
      case 'check-done':
        this.onCheckDone(message);
        break;
      case 'other-run':
        this.otherRun.show(message.run);
        break;
      case 'hand':
        this.classControls.hand(message);
        break;
      case 'banner':
        this.classControls.showBanner(message);
        break;
      case 'lesson-changed':
        if (message.lessonId === this.lesson.id) void this.reloadLesson();
        break;
      case 'error':
        this.clearRunPending();
        this.endChecks(message.message);
        this.status.show(`Error: ${message.message}`, 'error');
        break;
      default:
        // A newer server may send more; this page shows what it knows.
        console.debug('[ebpf-lab] ignored server message', (message as { type: string }).type);
    }
  }

  private onHello(message: ServerMessageOf<'hello'>): void {
    const reconnected = this.everConnected;
    this.everConnected = true;
    this.connected = true;
    if (message.sourceLimitBytes > 0) this.sourceLimitBytes = message.sourceLimitBytes;
    this.status.setConnectionProblem(null);
    if (message.protocolVersion !== WEB_PROTOCOL_VERSION) {
      this.status.show(
        `The lab server speaks protocol ${message.protocolVersion}, this page ${WEB_PROTOCOL_VERSION}: reload the page.`,
        'error',
      );
    } else {
      this.status.show(
        reconnected ? 'Reconnected to the lab server' : 'Connected to the lab server',
        'idle',
      );
    }
    // Runs belong to the lesson they were started in: the server shows this page its own.
    this.connection.send({ type: 'view', lessonId: this.lesson.id });
    this.shell.sendSize(true);
    this.saver.connected();
    this.lastPrepared = null;
    this.prepareWhenReady = true;
    this.updateControls();
  }

  private onStatus(message: ServerMessageOf<'status'>): void {
    this.phase = message.phase;
    this.status.show(message.text, toneOfPhase(message.phase));
    this.saver.phase(message.phase);
    // Any status is the server's answer to a pending Run (busy phases keep Run disabled anyway).
    this.clearRunPending();
    // Compile ahead once the sandbox can: live diagnostics for a saved draft, and a warm Run.
    if (this.prepareWhenReady && message.phase === 'ready') {
      this.prepareWhenReady = false;
      const source = this.editor.runSource();
      if (source !== null) this.prepare(source);
    }
    this.updateControls();
  }

  private onAttached(message: ServerMessageOf<'attached'>): void {
    this.clearRunPending();
    const where = message.probes.map((p) => `${p.fn} to ${p.kind} ${p.event}`).join(', ');
    this.trace.note(`── attached ${where || 'the probe'} ──`);
    // The server's own status usually says it first; otherwise say it here.
    if (this.phase !== 'attached') this.status.show(`Attached ${where}`, 'ok');
    this.phase = 'attached';
    this.editor.diagnostics.attached(message.source);
    this.bytecode.showPending();
    this.connection.send({ type: 'bytecode' });
    this.recordProgress();
    this.updateControls();
  }

  private onRunError(message: ServerMessageOf<'run-error'>): void {
    this.clearRunPending();
    this.phase = 'error';
    const { verifier } = message;
    const headline =
      verifier && !message.message.includes(verifier.summary)
        ? `${message.message}: ${verifier.summary}`
        : message.message;
    this.status.show(headline, 'error');
    this.editor.diagnostics.runRejected(
      message.source,
      message.diagnostics ?? [],
      verifier ?? null,
    );
    this.bytecode.clear('No program loaded: the last Run was rejected');

    const lines = [`── ${message.message} ──`];
    if (verifier) {
      lines.push(verifier.summary);
      if (verifier.line !== undefined) {
        const text = verifier.sourceText ?? this.sourceLine(verifier.line) ?? '';
        lines.push(`line ${verifier.line}: ${text.trim()}`);
      }
      lines.push(verifier.explanation);
    }
    // Compile errors are in the Problems list; the log adds to them only when they are missing.
    const showLog = message.log && (verifier || message.diagnostics.length === 0);
    if (showLog) lines.push('', lastLines(message.log, MAX_LOG_LINES));
    this.trace.note(lines.join('\n'));
    this.updateControls();
  }

  private onStopped(message: ServerMessageOf<'stopped'>): void {
    this.clearRunPending();
    // The server's status line says why it stopped (and keeps an error's message): don't
    // overwrite it here.
    if (this.phase !== 'error') this.phase = 'stopped';
    this.bytecode.markUnloaded();
    const why = STOP_REASONS[message.reason] ?? `: ${message.reason}`;
    const events = message.events > 0 ? ` · ${plural(message.events, 'event')}` : '';
    this.trace.note(`── stopped${why} · ${plural(message.lines, 'trace line')}${events} ──`);
    this.updateControls();
  }

  private onCheckDone(message: ServerMessageOf<'check-done'>): void {
    if (message.lessonId !== this.lesson.id) return;
    this.endChecks(null);
    const { passed, total } = this.checks.done(message.passed, this.lesson.next);
    if (message.passed) {
      this.showDone();
      this.status.show('Lesson done: its checks pass', 'ok');
    } else {
      this.status.show(`Checks: ${passed} of ${total} pass`, 'warn');
    }
  }

  /**
   * The lesson changed on disk (authoring mode): fetch it again and show it. An editor save
   * often comes as several change events, so one reload runs at a time, and one more follows
   * when others arrived meanwhile.
   */
  private async reloadLesson(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return;
    }
    this.reloading = true;
    try {
      do {
        this.reloadAgain = false;
        this.applyLesson(await fetchLesson(this.lesson.id));
      } while (this.reloadAgain);
    } catch (err) {
      this.status.flash(`Could not reload the lesson: ${(err as Error).message}`, 'warn');
    } finally {
      this.reloading = false;
    }
  }

  private applyLesson(lesson: Lesson): void {
    this.lesson = lesson;
    this.content.update(lesson);
    const sameFiles = this.editor.updateFiles(lesson.files);
    if (this.titleElement) this.titleElement.textContent = lesson.title;
    document.title = `${lesson.title} · ebpf-lab`;
    if (lesson.state === 'done') this.showDone();
    this.status.flash(
      sameFiles
        ? 'Lesson updated from disk'
        : 'Lesson updated from disk: reload the page to get its new files',
      'ok',
    );
  }

  /** A line of the source the bytecode came from: the latest Run's, else the editor's. */
  private sourceLine(line: number): string | undefined {
    return this.runSourceLines?.[line - 1] ?? this.editor.runSourceLine(line);
  }
}

/** What a compile-ahead was for: the sandbox loads the program ahead as the attach's kind. */
function prepareKey(source: string, attach: readonly AttachChoice[]): string {
  return `${JSON.stringify(attach)}\n${source}`;
}
