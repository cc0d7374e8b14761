/**
 * The "Editor" pane: Monaco with one model per lesson file (tabs when there are several), the
 * learner's edits kept per lesson and file in localStorage, the toolbar (attach picker, Run,
 * Stop, Check, Reset, Show solution) and the Problems list. It raises intents (run, stop, check,
 * prepare, edited); the lesson page decides what they mean on the wire.
 */
import type { AttachChoice } from '../shared/protocol.js';
import type { Lesson, LessonFile } from './api.js';
import { AttachPicker } from './attach-picker.js';
import { Diagnostics } from './diagnostics.js';
import { button, h } from './dom.js';
import { MONO_FONT } from './fonts.js';
import { monaco } from './monaco-setup.js';
import { lessonFileKey, local } from './storage.js';
import type { TabFocusMode } from './tab-focus.js';

/** How long typing must pause before the source is compiled ahead. */
const PREPARE_DELAY_MS = 700;

export type CodeLanguage = 'c' | 'python';

export interface EditorActions {
  run(): void;
  stop(): void;
  /** Run the lesson's checks against the files. */
  check(): void;
  /** The probe's source changed and typing paused, or the attach picker changed: compile it
   * ahead (and load it as the picker's kind). */
  prepare(source: string): void;
  /** Any file's text changed (typing, Reset, a lesson reload...). */
  edited(): void;
  /** `fileName` now shows what the learner typed in another tab of this lesson. */
  syncedFromOtherTab(fileName: string): void;
}

interface OpenFile {
  file: LessonFile;
  language: string;
  model: monaco.editor.ITextModel;
  storageKey: string;
  /** The file's tab, or its name when the lesson has one file: marked while modified. */
  label: HTMLElement | null;
  viewState: monaco.editor.ICodeEditorViewState | null;
}

/** Monaco's language id for a lesson file: by extension first, then the lesson's word for it. */
function monacoLanguage(file: LessonFile): string {
  if (/\.[ch]$/.test(file.name)) return 'c';
  if (file.name.endsWith('.py')) return 'python';
  if (/\.(sh|bash)$/.test(file.name)) return 'shell';
  switch (file.language) {
    case 'c':
      return 'c';
    case 'python':
      return 'python';
    case 'shell':
      return 'shell';
    default:
      return 'plaintext';
  }
}

/**
 * The dot a modified file's name carries (shown by the `modified` class): named, so a screen
 * reader hears "probe.c modified" too.
 */
function modifiedDot(): HTMLElement {
  return h('span', { class: 'modified-dot', role: 'img', 'aria-label': 'modified' });
}

export class EditorPane {
  readonly element: HTMLElement;
  readonly diagnostics: Diagnostics;
  private readonly files: OpenFile[];
  /** The file Run sends: the lesson's first C file. */
  private readonly runFile: OpenFile | undefined;
  private current: OpenFile;
  private editor: monaco.editor.IStandaloneCodeEditor | null = null;
  private readonly host: HTMLElement;
  private readonly attachPicker: AttachPicker;
  private readonly runButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly checkButton: HTMLButtonElement;
  private readonly resetButton: HTMLButtonElement;
  private readonly solutionButton: HTMLButtonElement;
  private prepareTimer: number | undefined;
  /** The file being given another tab's text (not stored again: it came from storage). */
  private fromOtherTab: OpenFile | null = null;

  constructor(
    private readonly lesson: Lesson,
    private readonly actions: EditorActions,
    private readonly tabFocus: TabFocusMode,
  ) {
    this.files = lesson.files.map((file) => this.openFile(file));
    if (this.files.length === 0) {
      // A lesson without files still gets a scratch C file, so the editor is never empty-handed.
      this.files.push(
        this.openFile({ name: 'probe.c', language: 'c', starter: '', solution: null }),
      );
    }
    const first = this.files[0] as OpenFile;
    this.current = first;
    this.runFile =
      this.files.find((f) => f.file.name.endsWith('.c')) ??
      this.files.find((f) => f.language === 'c' && !f.file.name.endsWith('.h'));

    this.diagnostics = new Diagnostics((line, column) => this.revealPosition(line, column));
    this.diagnostics.setModel(this.runFile?.model ?? null);
    // The compile-ahead loads the program as the picker's kind: a new kind, a new load ahead.
    this.attachPicker = new AttachPicker(lesson.attach, () => {
      const source = this.runSource();
      if (source !== null) this.actions.prepare(source);
    });

    this.runButton = button('Run', () => this.actions.run(), {
      class: 'primary run-button',
      title: 'Compile, load and attach the probe (Ctrl+Enter)',
      'aria-keyshortcuts': 'Control+Enter Meta+Enter',
    });
    this.stopButton = button('Stop', () => this.actions.stop(), {
      class: 'stop-button',
      title: 'Detach the probe',
      disabled: true,
    });
    this.checkButton = button('Check', () => this.actions.check(), {
      class: 'check-button',
      title: "Check your files against the lesson's goals",
      disabled: true,
    });
    this.resetButton = button('Reset', () => this.resetCurrent(), {
      title: 'Go back to the starter code of this file',
    });
    this.solutionButton = button('Show solution', () => this.showSolution(), {
      title: "Load the lesson's solution for this file",
    });

    this.host = h('div', {
      class: 'monaco-host',
      id: 'editor-panel',
      role: this.files.length > 1 ? 'tabpanel' : null,
    });

    this.element = h(
      'section',
      { class: 'pane editor-pane', role: 'region', 'aria-label': 'Editor' },
      // The file bar carries what acts on the current file; the run bar, what acts on the probe.
      h(
        'div',
        { class: 'pane-toolbar file-bar' },
        this.renderFileTabs(),
        h('div', { class: 'toolbar-spacer' }),
        tabFocus.switchFor('indents'),
        h('div', { class: 'toolbar-group' }, this.resetButton, this.solutionButton),
      ),
      h(
        'div',
        { class: 'pane-toolbar run-bar' },
        this.attachPicker.element,
        h(
          'span',
          {
            class: 'save-hint',
            title:
              'Each file is saved as /root/<name> while you type, so the Sandbox shell runs what the editor shows',
          },
          this.runFile
            ? 'Files are saved to /root in your sandbox'
            : 'No probe to run here: these files are saved to /root, run them in the Sandbox shell',
        ),
        h('div', { class: 'toolbar-spacer' }),
        h('div', { class: 'toolbar-group' }, this.stopButton, this.runButton, this.checkButton),
      ),
      this.host,
      this.diagnostics.element,
    );
    // A lesson whose files are only scripts for the shell has no probe: nothing to attach or Run.
    for (const control of [this.attachPicker.element, this.stopButton, this.runButton]) {
      control.hidden = !this.runFile;
    }
    this.updateFileControls();
    // Every edit is kept in localStorage at once, so another tab of this lesson announces each
    // of its edits with a storage event: this tab takes them, and the two never drift apart
    // (with the last save to /root silently winning).
    window.addEventListener('storage', (event) => this.otherTabEdited(event));
  }

  /** Creates the Monaco editor; the pane must be in the document. */
  mount(): void {
    const editor = monaco.editor.create(this.host, {
      model: this.current.model,
      theme: 'vs-dark',
      automaticLayout: true,
      fontFamily: MONO_FONT,
      fontSize: 14,
      lineHeight: 21,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      // Hovers and suggestions may overflow the pane instead of being clipped by it.
      fixedOverflowWidgets: true,
      renderLineHighlight: 'all',
      padding: { top: 8, bottom: 8 },
      tabSize: 4,
      ariaLabel: 'Code editor',
    });
    this.editor = editor;
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, () => this.actions.run());
    // The trimmed Monaco bundle has no "toggle Tab key moves focus" action: the page's own
    // switch takes Ctrl+M (the Ctrl key on every platform, which no single KeyMod names) and
    // sets the editor's option.
    editor.onKeyDown((event) => {
      const { ctrlKey, shiftKey, altKey, metaKey } = event;
      if (!ctrlKey || shiftKey || altKey || metaKey || event.keyCode !== monaco.KeyCode.KeyM)
        return;
      event.preventDefault();
      event.stopPropagation();
      this.tabFocus.toggle();
    });
    this.tabFocus.watch((on) => editor.updateOptions({ tabFocusMode: on }));
  }

  /** The source Run sends (the lesson's first C file), or null when the lesson has none. */
  runSource(): string | null {
    return this.runFile ? this.runFile.model.getValue() : null;
  }

  /** Line `line` (1-based) of the probe's source as it is now. */
  runSourceLine(line: number): string | undefined {
    const model = this.runFile?.model;
    if (!model || line < 1 || line > model.getLineCount()) return undefined;
    return model.getLineContent(line);
  }

  /** Every file's current text by name: what is saved to /root and checked. */
  fileTexts(): Record<string, string> {
    return Object.fromEntries(this.files.map((open) => [open.file.name, open.model.getValue()]));
  }

  get attach(): AttachChoice[] {
    return this.attachPicker.value;
  }

  get hasRunFile(): boolean {
    return this.runFile !== undefined;
  }

  /** Whether `element` belongs to Monaco (it handles Ctrl+Enter itself). */
  contains(element: Node | null): boolean {
    return element !== null && this.host.contains(element);
  }

  setControls({
    canRun,
    canStop,
    canCheck,
  }: {
    canRun: boolean;
    canStop: boolean;
    canCheck: boolean;
  }): void {
    this.runButton.disabled = !canRun || !this.runFile;
    this.stopButton.disabled = !canStop;
    this.checkButton.disabled = !canCheck;
  }

  /**
   * The lesson changed on disk: its files get their new starter and solution. A file the
   * learner has not edited shows the new starter; an edited one keeps the learner's text.
   * Returns false when the lesson now has other files than the tabs show (a reload adds them).
   */
  updateFiles(files: readonly LessonFile[]): boolean {
    const byName = new Map(files.map((file) => [file.name, file]));
    for (const open of this.files) {
      const next = byName.get(open.file.name);
      if (!next) continue;
      const edited = open.model.getValue() !== open.file.starter;
      // The new starter first: the content change below then counts as no edit of the learner's.
      open.file = next;
      if (!edited && open.model.getValue() !== next.starter) {
        // An edit, not setValue: Ctrl+Z still brings back the previous starter.
        open.model.pushEditOperations(
          [],
          [{ range: open.model.getFullModelRange(), text: next.starter }],
          () => null,
        );
      } else {
        this.keepDraft(open);
      }
    }
    this.updateFileControls();
    // A lesson without files shows a scratch file: no files is still what the tabs show.
    if (files.length === 0) return this.lesson.files.length === 0;
    const shown = new Set(this.files.map((open) => open.file.name));
    return files.length === shown.size && files.every((file) => shown.has(file.name));
  }

  /**
   * "Open in editor" from the lesson: the text goes into the current tab when its language
   * matches, else into the first tab of that language. Undoable with Ctrl+Z.
   */
  openText(text: string, language: CodeLanguage): void {
    const target =
      this.current.language === language
        ? this.current
        : (this.files.find((f) => f.language === language) ?? this.current);
    this.replaceContent(target, text);
    this.editor?.focus();
  }

  /** Moves the cursor to a position of the probe's source (a Problems item was clicked). */
  revealPosition(line: number, column: number): void {
    if (!this.runFile || !this.editor) return;
    this.select(this.runFile);
    this.editor.setPosition({ lineNumber: line, column });
    this.editor.revealPositionInCenterIfOutsideViewport({ lineNumber: line, column });
    this.editor.focus();
  }

  focus(): void {
    this.editor?.focus();
  }

  private openFile(file: LessonFile): OpenFile {
    const language = monacoLanguage(file);
    const storageKey = lessonFileKey(this.lesson.id, file.name);
    const uri = monaco.Uri.from({
      scheme: 'file',
      path: `/lessons/${this.lesson.id}/${file.name}`,
    });
    const model =
      monaco.editor.getModel(uri) ??
      monaco.editor.createModel(local.get(storageKey) ?? file.starter, language, uri);
    const open: OpenFile = { file, language, model, storageKey, label: null, viewState: null };
    model.onDidChangeContent(() => this.contentChanged(open));
    return open;
  }

  private otherTabEdited(event: StorageEvent): void {
    if (event.storageArea !== window.localStorage) return;
    const open = this.files.find((f) => f.storageKey === event.key);
    if (!open) return;
    // No draft means the file is back to its starter (Reset in the other tab).
    const text = event.newValue ?? open.file.starter;
    if (open.model.getValue() === text) return;
    // The text is in storage already. Writing it back could put an older text over a newer
    // one that the other tab has stored meanwhile, and bounce it there mid-typing.
    this.fromOtherTab = open;
    try {
      // An edit, not setValue: Ctrl+Z here brings this tab's text back.
      open.model.pushEditOperations(
        [],
        [{ range: open.model.getFullModelRange(), text }],
        () => null,
      );
    } finally {
      this.fromOtherTab = null;
    }
    this.actions.syncedFromOtherTab(open.file.name);
  }

  private contentChanged(open: OpenFile): void {
    const value = this.keepDraft(open);
    this.actions.edited();
    if (open === this.runFile) {
      window.clearTimeout(this.prepareTimer);
      this.prepareTimer = window.setTimeout(() => this.actions.prepare(value), PREPARE_DELAY_MS);
    }
  }

  /** Keeps the file's draft (and its modified mark) in step with its text; returns the text. */
  private keepDraft(open: OpenFile): string {
    const value = open.model.getValue();
    // Only a draft that differs from the starter is kept, so Reset simply forgets the draft.
    // Another tab's text is stored already, by the tab it came from.
    if (open === this.fromOtherTab) {
      // nothing to store
    } else if (value === open.file.starter) local.remove(open.storageKey);
    else local.set(open.storageKey, value);
    open.label?.classList.toggle('modified', value !== open.file.starter);
    return value;
  }

  private renderFileTabs(): HTMLElement {
    if (this.files.length === 1) {
      const name = h('span', { class: 'file-name' }, this.current.file.name, modifiedDot());
      name.classList.toggle(
        'modified',
        this.current.model.getValue() !== this.current.file.starter,
      );
      this.current.label = name;
      return name;
    }
    const tablist = h('div', { class: 'file-tabs', role: 'tablist', 'aria-label': 'Lesson files' });
    for (const open of this.files) {
      const tab = button(h('span', {}, open.file.name, modifiedDot()), () => this.select(open), {
        role: 'tab',
        class: 'file-tab',
        id: `file-tab-${this.files.indexOf(open)}`,
        'aria-controls': 'editor-panel',
      });
      tab.classList.toggle('modified', open.model.getValue() !== open.file.starter);
      open.label = tab;
      tablist.append(tab);
    }
    // Arrow keys move between tabs, the usual tablist keyboard pattern.
    tablist.addEventListener('keydown', (event) => {
      const index = this.files.indexOf(this.current);
      const next =
        event.key === 'ArrowRight'
          ? (index + 1) % this.files.length
          : event.key === 'ArrowLeft'
            ? (index - 1 + this.files.length) % this.files.length
            : event.key === 'Home'
              ? 0
              : event.key === 'End'
                ? this.files.length - 1
                : -1;
      const target = this.files[next];
      if (!target) return;
      event.preventDefault();
      this.select(target);
      target.label?.focus();
    });
    return tablist;
  }

  private select(open: OpenFile): void {
    if (open === this.current) return;
    if (this.editor) {
      this.current.viewState = this.editor.saveViewState();
      this.editor.setModel(open.model);
      if (open.viewState) this.editor.restoreViewState(open.viewState);
    }
    this.current = open;
    this.updateFileControls();
  }

  private updateFileControls(): void {
    for (const open of this.files) {
      if (this.files.length < 2 || !open.label) continue;
      const selected = open === this.current;
      open.label.setAttribute('aria-selected', String(selected));
      // Roving tabindex: Tab reaches the selected file tab only; arrows reach the others.
      open.label.tabIndex = selected ? 0 : -1;
      if (selected) this.host.setAttribute('aria-labelledby', open.label.id);
    }
    const hasSolution = this.current.file.solution !== null;
    this.solutionButton.hidden = !hasSolution;
    this.solutionButton.disabled = !hasSolution;
  }

  private resetCurrent(): void {
    const { file } = this.current;
    if (!confirm(`Reset ${file.name} to the lesson's starter code? Your edits will be replaced.`)) {
      return;
    }
    this.replaceContent(this.current, file.starter);
  }

  private showSolution(): void {
    const { file } = this.current;
    if (file.solution === null) return;
    if (!confirm(`Replace your code in ${file.name} with the lesson's solution?`)) return;
    this.replaceContent(this.current, file.solution);
  }

  /** Replaces a file's text as an edit, so Ctrl+Z brings the learner's code back. */
  private replaceContent(open: OpenFile, text: string): void {
    this.select(open);
    const editor = this.editor;
    if (!editor) {
      open.model.setValue(text);
      return;
    }
    editor.pushUndoStop();
    editor.executeEdits('ebpf-lab', [{ range: open.model.getFullModelRange(), text }]);
    editor.pushUndoStop();
    editor.setPosition({ lineNumber: 1, column: 1 });
    editor.revealLine(1);
  }
}
