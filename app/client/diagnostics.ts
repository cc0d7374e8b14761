/**
 * Compiler diagnostics and verifier complaints, shown twice: as Monaco markers on the probe's
 * source (squiggles, with the message on hover) and as a "Problems" list under the editor whose
 * items move the cursor to the line they are about.
 */
import type { Diagnostic, VerifierExplanation } from '../shared/protocol.js';
import { button, h, replaceChildren } from './dom.js';
import { monaco } from './monaco-setup.js';

const COMPILE_OWNER = 'ebpf-lab.compile';
const VERIFIER_OWNER = 'ebpf-lab.verifier';

interface Problem {
  severity: Diagnostic['severity'];
  line: number | null;
  column: number;
  text: string;
  detail?: string;
}

function markerSeverity(severity: Diagnostic['severity']): monaco.MarkerSeverity {
  switch (severity) {
    case 'error':
      return monaco.MarkerSeverity.Error;
    case 'warning':
      return monaco.MarkerSeverity.Warning;
    default:
      return monaco.MarkerSeverity.Info;
  }
}

const SEVERITY_ORDER = { error: 0, warning: 1, note: 2 } as const;

export class Diagnostics {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly count: HTMLElement;
  private model: monaco.editor.ITextModel | null = null;
  private compile: Diagnostic[] = [];
  private verifier: VerifierExplanation | null = null;

  /** `reveal` moves the editor's cursor to a position of the probe's source. */
  constructor(private readonly reveal: (line: number, column: number) => void) {
    // role="list" is explicit because Safari drops list semantics from unstyled lists.
    this.list = h('ul', { class: 'problems-list', role: 'list', 'aria-label': 'Problems' });
    this.count = h('span', { class: 'problems-count' });
    this.element = h(
      'div',
      { class: 'problems' },
      h('div', { class: 'problems-header' }, h('h3', {}, 'Problems'), this.count),
      this.list,
    );
    this.render();
  }

  /** The model the markers go on: the source that Run sends. */
  setModel(model: monaco.editor.ITextModel | null): void {
    this.model = model;
    this.render();
  }

  /** The latest compile diagnostics (compile-ahead or run), replacing the previous ones. */
  showDiagnostics(diagnostics: readonly Diagnostic[]): void {
    this.compile = [...diagnostics];
    this.render();
  }

  /** A verifier rejection, positioned on the line it is about when known. */
  showVerifier(verifier: VerifierExplanation | null): void {
    this.verifier = verifier;
    this.render();
  }

  /** After a successful attach: errors are gone, the compiler's warnings still hold. */
  clearErrors(): void {
    this.compile = this.compile.filter((d) => d.severity !== 'error');
    this.verifier = null;
    this.render();
  }

  private problems(): Problem[] {
    const problems: Problem[] = this.compile.map((d) => ({
      severity: d.severity,
      line: d.line > 0 ? d.line : null,
      column: Math.max(1, d.column),
      text: d.message,
    }));
    if (this.verifier) {
      problems.push({
        severity: 'error',
        line: this.verifier.line ?? null,
        column: 1,
        text: this.verifier.summary,
        detail: this.verifier.explanation,
      });
    }
    return problems.sort(
      (a, b) =>
        (a.line ?? 0) - (b.line ?? 0) || SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity],
    );
  }

  private render(): void {
    const problems = this.problems();
    this.renderMarkers();
    this.count.textContent = problems.length === 0 ? 'none' : String(problems.length);
    this.element.dataset.state = problems.some((p) => p.severity === 'error')
      ? 'error'
      : problems.length > 0
        ? 'warning'
        : 'clean';
    replaceChildren(
      this.list,
      ...problems.map((problem) => {
        const text = `${problem.line === null ? 'verifier' : `line ${problem.line}`}: ${problem.text}`;
        const title = [problem.severity, problem.detail].filter(Boolean).join(': ');
        const { line } = problem;
        const content =
          line === null
            ? h('span', { class: 'problem-text', title }, text)
            : button(text, () => this.reveal(line, problem.column), {
                class: 'problem-text',
                title,
              });
        return h('li', { class: `problem severity-${problem.severity}` }, content);
      }),
    );
  }

  private renderMarkers(): void {
    const model = this.model;
    if (!model || model.isDisposed()) return;
    const lineCount = model.getLineCount();
    const clampLine = (line: number) => Math.min(Math.max(1, line), lineCount);
    // An empty range is fine: Monaco widens it to the word (or character) at that position.
    const compileMarkers = this.compile.map((d): monaco.editor.IMarkerData => {
      const line = clampLine(d.line);
      const column = Math.min(Math.max(1, d.column), model.getLineMaxColumn(line));
      return {
        severity: markerSeverity(d.severity),
        message: d.message,
        source: 'compiler',
        startLineNumber: line,
        startColumn: column,
        endLineNumber: line,
        endColumn: column,
      };
    });
    monaco.editor.setModelMarkers(model, COMPILE_OWNER, compileMarkers);

    const verifierMarkers: monaco.editor.IMarkerData[] = [];
    if (this.verifier?.line !== undefined) {
      // The verifier speaks of a whole statement: underline the line's code.
      const line = clampLine(this.verifier.line);
      verifierMarkers.push({
        severity: monaco.MarkerSeverity.Error,
        message: `${this.verifier.summary}\n\n${this.verifier.explanation}`,
        source: 'verifier',
        startLineNumber: line,
        startColumn: Math.max(1, model.getLineFirstNonWhitespaceColumn(line)),
        endLineNumber: line,
        endColumn: model.getLineMaxColumn(line),
      });
    }
    monaco.editor.setModelMarkers(model, VERIFIER_OWNER, verifierMarkers);
  }
}
