/**
 * The instructor's read-only look at one learner's work, opened from the class dashboard: their
 * editor files beside the lesson's starters (a Monaco diff, read-only), the compiler's latest
 * diagnostics, their latest Run with the verifier's explanation, and the end of their Trace
 * output and sandbox shell. It asks the server again every few seconds while it is open, and
 * redraws only what changed. Nothing here can type into the learner's sandbox.
 */
import type { Terminal } from '@xterm/xterm';
import { fetchLearnerWork, type LearnerWork, type WorkFile } from './class-api.js';
import { ago } from './dashboard-text.js';
import { button, h, replaceChildren } from './dom.js';
import { MONO_FONT } from './fonts.js';
import { monaco } from './monaco-setup.js';
import { createTerminal, exposeBufferText, keepFitted } from './terminals.js';

/** How often the open view asks for the learner's work again. */
export const WORK_REFRESH_MS = 2_000;

const LANGUAGES: Record<string, string> = { c: 'c', h: 'c', py: 'python', sh: 'shell' };

function languageOf(name: string): string {
  return LANGUAGES[name.split('.').pop() ?? ''] ?? 'plaintext';
}

export class LearnerWorkView {
  private readonly dialog: HTMLDialogElement;
  private readonly heading = h('h2', { class: 'work-title' });
  private readonly meta = h('p', { class: 'work-meta', role: 'status' });
  private readonly fileTabs = h('div', { class: 'work-files', role: 'tablist' });
  private readonly editorHost = h('div', { class: 'work-editor', 'aria-label': 'Their code' });
  private readonly noFiles = h(
    'p',
    { class: 'empty-note', hidden: true },
    'No files yet: their editor is saved here once their sandbox is up.',
  );
  private readonly run = h('section', { class: 'work-run', 'aria-label': 'Latest Run' });
  private readonly traceHost = h('div', { class: 'work-terminal', 'data-stream': 'trace' });
  private readonly shellHost = h('div', { class: 'work-terminal', 'data-stream': 'shell' });
  private diff: monaco.editor.IStandaloneDiffEditor | undefined;
  private readonly models = new Map<
    string,
    { original: monaco.editor.ITextModel; modified: monaco.editor.ITextModel }
  >();
  private trace: Terminal | undefined;
  private shell: Terminal | undefined;
  private shown = { file: '', trace: '', shell: '', run: '' };
  private timer: number | undefined;
  private ref = '';

  constructor(private readonly classId: number) {
    this.dialog = h(
      'dialog',
      { class: 'work-view', 'aria-labelledby': 'work-title' },
      h(
        'header',
        { class: 'work-header' },
        this.heading,
        this.meta,
        button('Close', () => this.dialog.close(), { class: 'small', 'data-action': 'close-work' }),
      ),
      this.fileTabs,
      this.noFiles,
      this.editorHost,
      h(
        'p',
        { class: 'work-legend muted' },
        'Left: the lesson’s starter. Right: their file now. Read-only.',
      ),
      this.run,
      h(
        'div',
        { class: 'work-terminals' },
        h('section', {}, h('h3', {}, 'Trace output'), this.traceHost),
        h('section', {}, h('h3', {}, 'Sandbox shell'), this.shellHost),
      ),
    );
    this.heading.id = 'work-title';
    this.dialog.addEventListener('close', () => this.stop());
    document.body.append(this.dialog);
  }

  /** Opens the view on learner `ref`, and keeps it current until it is closed. */
  open(ref: string, name: string): void {
    this.stop();
    this.ref = ref;
    this.shown = { file: '', trace: '', shell: '', run: '' };
    this.heading.textContent = `${name}’s work`;
    this.meta.textContent = 'Loading…';
    this.dialog.showModal();
    this.mount();
    void this.refresh();
    this.timer = window.setInterval(() => void this.refresh(), WORK_REFRESH_MS);
  }

  private mount(): void {
    if (this.diff) return;
    this.diff = monaco.editor.createDiffEditor(this.editorHost, {
      theme: 'vs-dark',
      readOnly: true,
      originalEditable: false,
      automaticLayout: true,
      fontFamily: MONO_FONT,
      fontSize: 13,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      renderOverviewRuler: false,
    });
    this.trace = this.terminal(this.traceHost, 'Their Trace output');
    this.shell = this.terminal(this.shellHost, 'Their sandbox shell');
  }

  private terminal(host: HTMLElement, label: string): Terminal {
    const term = createTerminal({ disableStdin: true, cursorInactiveStyle: 'none' });
    term.open(host);
    keepFitted(term, host);
    host.setAttribute('aria-label', label);
    exposeBufferText(term);
    return term;
  }

  private stop(): void {
    window.clearInterval(this.timer);
    this.timer = undefined;
    this.diff?.setModel(null);
    for (const { original, modified } of this.models.values()) {
      original.dispose();
      modified.dispose();
    }
    this.models.clear();
  }

  private async refresh(): Promise<void> {
    const ref = this.ref;
    let work: LearnerWork;
    try {
      work = await fetchLearnerWork(this.classId, ref);
    } catch (err) {
      if (ref === this.ref)
        this.meta.textContent = `Could not load their work: ${(err as Error).message}`;
      return;
    }
    if (ref !== this.ref || !this.dialog.open) return;
    this.meta.textContent = [
      work.lesson ? work.lesson.title : 'No lesson opened yet',
      work.online ? 'lab open' : 'lab closed (showing what the server still has)',
      `updated ${new Date(work.at).toLocaleTimeString()}`,
    ].join(' · ');
    this.showFiles(work.files);
    this.showRun(work);
    this.showOutput('trace', work.trace);
    this.showOutput('shell', work.shell);
  }

  private showFiles(files: WorkFile[]): void {
    this.noFiles.hidden = files.length > 0;
    this.editorHost.hidden = files.length === 0;
    if (files.length === 0) return;
    if (!files.some((f) => f.name === this.shown.file)) this.shown.file = files[0]?.name ?? '';
    replaceChildren(
      this.fileTabs,
      ...files.map((file) =>
        button(file.name, () => this.selectFile(file.name), {
          role: 'tab',
          class: 'small',
          'aria-selected': file.name === this.shown.file,
        }),
      ),
    );
    for (const file of files) {
      const models = this.models.get(file.name);
      if (!models) {
        const language = languageOf(file.name);
        this.models.set(file.name, {
          original: monaco.editor.createModel(file.starter ?? '', language),
          modified: monaco.editor.createModel(file.text, language),
        });
      } else if (models.modified.getValue() !== file.text) {
        models.modified.setValue(file.text);
      }
    }
    this.selectFile(this.shown.file);
  }

  private selectFile(name: string): void {
    this.shown.file = name;
    for (const tab of this.fileTabs.querySelectorAll('button')) {
      tab.setAttribute('aria-selected', String(tab.textContent === name));
    }
    const models = this.models.get(name);
    if (models && this.diff?.getModel()?.modified !== models.modified) this.diff?.setModel(models);
  }

  private showRun(work: LearnerWork): void {
    const json = JSON.stringify([work.lastRun, work.diagnostics]);
    if (json === this.shown.run) return;
    this.shown.run = json;
    const { lastRun, diagnostics } = work;
    const failed = lastRun !== null && lastRun.outcome !== 'attached';
    replaceChildren(
      this.run,
      h('h3', {}, 'Latest Run'),
      lastRun
        ? h(
            'p',
            { class: failed ? 'outcome failed' : 'outcome ok' },
            `${lastRun.message} (${ago(lastRun.at, Date.now())})`,
          )
        : h('p', { class: 'muted' }, 'No Run yet.'),
      lastRun?.verifier
        ? h(
            'div',
            { class: 'work-verifier' },
            h('p', {}, h('strong', {}, 'Verifier: '), h('code', {}, lastRun.verifier.summary)),
            lastRun.verifier.line
              ? h(
                  'p',
                  {},
                  `Line ${lastRun.verifier.line}: `,
                  h('code', {}, lastRun.verifier.sourceText ?? ''),
                )
              : null,
            h('p', {}, lastRun.verifier.explanation),
          )
        : null,
      diagnostics.length > 0
        ? h(
            'ul',
            { class: 'work-diagnostics', 'aria-label': 'Compiler diagnostics' },
            ...diagnostics.map((d) =>
              h(
                'li',
                { 'data-severity': d.severity },
                `${d.line}:${d.column} ${d.severity}: ${d.message}`,
              ),
            ),
          )
        : null,
    );
  }

  private showOutput(stream: 'trace' | 'shell', text: string): void {
    if (this.shown[stream] === text) return;
    const term = stream === 'trace' ? this.trace : this.shell;
    // The tail grows at its end: write only what is new when it still starts the same way.
    const before = this.shown[stream];
    if (before && text.startsWith(before)) term?.write(text.slice(before.length));
    else {
      term?.reset();
      term?.write(text);
    }
    this.shown[stream] = text;
  }
}
