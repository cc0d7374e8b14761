/**
 * Compiler diagnostics and verifier complaints, shown twice: as Monaco markers on the probe's
 * source (squiggles, with the message on hover) and as a "Problems" list under the editor whose
 * items move the cursor to the line they are about.
 *
 * Every result names the text it was made for (its `sourceDigest`). The page tells this class
 * each text it sends (`sent`), and the line of every line of that text is tracked through the
 * learner's later edits; a result is placed through the tracking of its own text, so a compile
 * that finished after more typing, or a rejected Run followed by a fix above the bad line, marks
 * the code it was about — never whatever now has its line number. An edit of that code itself
 * removes the diagnostic, and a result for text this tab never sent or shows (another tab,
 * another lesson) is not shown at all.
 */
import type { Diagnostic, VerifierExplanation } from '../shared/protocol.js';
import { sourceDigest } from '../shared/source-digest.js';
import { button, h, replaceChildren } from './dom.js';
import { type LineSpan, moveSpanThrough, spansOf, type TextChange } from './line-spans.js';
import { monaco } from './monaco-setup.js';

const COMPILE_OWNER = 'ebpf-lab.compile';
const VERIFIER_OWNER = 'ebpf-lab.verifier';
/** Texts sent recently whose results may still arrive: compile-aheads and the latest Run. */
const MAX_SNAPSHOTS = 8;

interface Problem {
  severity: Diagnostic['severity'];
  source: 'compiler' | 'verifier';
  /** Where the code it is about is now; null when it names no line, or its code was edited. */
  span: LineSpan | null;
  /** Whether it named a line at all (a problem whose line was edited away is dropped). */
  placed: boolean;
  /** Its column, relative to the start of the code of its line. */
  offset: number;
  text: string;
  /** Markdown (the verifier's explanation). */
  detail?: string;
  /** `sourceDigest` of the text it was made for. */
  origin: string;
}

/** A text the page sent, with the code of each of its lines tracked through later edits. */
interface Snapshot {
  digest: string;
  spans: (LineSpan | null)[];
  /** Where the code of each line started when the text was sent: columns are relative to it. */
  starts: number[];
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

/** Markdown's inline code as plain text, for tooltips and the screen-reader text of the list. */
export function plainText(markdown: string): string {
  return markdown.replace(/`([^`]+)`/g, '$1');
}

const SEVERITY_ORDER = { error: 0, warning: 1, note: 2 } as const;

/** A diagnostic about line `line`, column `column` of the snapshot's text, placed in today's. */
function place(
  snapshot: Snapshot,
  line: number,
  column: number,
  severity: Diagnostic['severity'],
  source: Problem['source'],
  text: string,
): Problem {
  const placed = line > 0 && line <= snapshot.spans.length;
  const span = placed ? (snapshot.spans[line - 1] ?? null) : null;
  const start = placed ? (snapshot.starts[line - 1] ?? 1) : 1;
  return {
    severity,
    source,
    span,
    placed,
    offset: Math.max(0, column - start),
    text,
    origin: snapshot.digest,
  };
}

export class Diagnostics {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly count: HTMLElement;
  private model: monaco.editor.ITextModel | null = null;
  private modelListener: monaco.IDisposable | null = null;
  /** The hover with the verifier's explanation, rendered as Markdown. */
  private explanationDecorations: string[] = [];
  private snapshots: Snapshot[] = [];
  private compile: Problem[] = [];
  /** The digest of the text the shown compile diagnostics were made for. */
  private compileOrigin: string | null = null;
  private verifier: Problem | null = null;

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
    this.modelListener?.dispose();
    this.model = model;
    this.modelListener = model?.onDidChangeContent((event) => this.edited(event)) ?? null;
    this.render();
  }

  /** The page is sending `text` (to compile ahead, or to Run): its results can be placed. */
  sent(text: string): void {
    const digest = sourceDigest(text);
    this.snapshots = this.snapshots.filter((s) => s.digest !== digest);
    const spans = spansOf(text);
    this.snapshots.push({ digest, spans, starts: spans.map((span) => span.start) });
    if (this.snapshots.length > MAX_SNAPSHOTS) this.snapshots.shift();
  }

  /** Compile diagnostics (compile-ahead or run) for the text with digest `source`. */
  compileResult(source: string, diagnostics: readonly Diagnostic[]): void {
    const snapshot = this.snapshotFor(source);
    if (!snapshot) return; // made for text this tab does not show
    this.compile = diagnostics.map((d) => {
      const problem = place(snapshot, d.line, d.column, d.severity, 'compiler', d.message);
      return d.hint === undefined ? problem : { ...problem, detail: d.hint };
    });
    this.compileOrigin = source;
    this.render();
  }

  /** A rejected Run of the text with digest `source`: its compile errors or the verifier's. */
  runRejected(
    source: string,
    diagnostics: readonly Diagnostic[],
    verifier: VerifierExplanation | null,
  ): void {
    const snapshot = this.snapshotFor(source);
    if (!snapshot) return;
    if (diagnostics.length > 0) this.compileResult(source, diagnostics);
    this.verifier = verifier
      ? {
          ...place(snapshot, verifier.line ?? 0, 1, 'error', 'verifier', verifier.summary),
          detail: verifier.explanation,
        }
      : null;
    this.render();
  }

  /**
   * The text with digest `source` compiled, loaded and attached: no error holds for it. What
   * stays is the compiler's warnings for it (with their notes); anything from other text goes.
   */
  attached(source: string): void {
    if (!this.snapshotFor(source)) return;
    this.verifier = null;
    if (this.compileOrigin !== source) {
      this.compile = [];
      this.compileOrigin = source;
    }
    this.render();
  }

  /**
   * The tracking of the text with digest `digest`: one this tab sent, or the editor's text now
   * (another tab of this lesson sent the same text).
   */
  private snapshotFor(digest: string): Snapshot | null {
    const known = this.snapshots.find((s) => s.digest === digest);
    if (known) return known;
    const model = this.model;
    if (!model || model.isDisposed()) return null;
    const text = model.getValue();
    if (sourceDigest(text) !== digest) return null;
    this.sent(text);
    return this.snapshots.at(-1) ?? null;
  }

  private edited(event: monaco.editor.IModelContentChangedEvent): void {
    if (event.isFlush) {
      // The whole text was replaced: nothing sent before maps onto it.
      this.snapshots = [];
      this.compile = [];
      this.verifier = null;
      this.render();
      return;
    }
    const changes: TextChange[] = event.changes.map((c) => ({
      startLine: c.range.startLineNumber,
      startColumn: c.range.startColumn,
      endLine: c.range.endLineNumber,
      endColumn: c.range.endColumn,
      text: c.text,
    }));
    for (const snapshot of this.snapshots) {
      snapshot.spans = snapshot.spans.map((span) => moveSpanThrough(span, changes));
    }
    const move = (problem: Problem): Problem => ({
      ...problem,
      span: moveSpanThrough(problem.span, changes),
    });
    this.compile = this.compile.map(move);
    this.verifier = this.verifier ? move(this.verifier) : null;
    this.render();
  }

  /** Problems still about code in the editor: placed ones whose code is still there, and the rest. */
  private problems(): Problem[] {
    const live = [...this.compile, ...(this.verifier ? [this.verifier] : [])].filter(
      (p) => !p.placed || p.span !== null,
    );
    return live.sort(
      (a, b) =>
        (a.span?.line ?? 0) - (b.span?.line ?? 0) ||
        SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity],
    );
  }

  private render(): void {
    const problems = this.problems();
    const current =
      this.model && !this.model.isDisposed() ? sourceDigest(this.model.getValue()) : null;
    this.renderMarkers(problems, current);
    this.count.textContent = problems.length === 0 ? 'none' : String(problems.length);
    this.element.dataset.state = problems.some((p) => p.severity === 'error')
      ? 'error'
      : problems.length > 0
        ? 'warning'
        : 'clean';
    replaceChildren(
      this.list,
      ...problems.map((problem) => {
        const where = problem.span ? `line ${problem.span.line}` : problem.source;
        const stale =
          problem.source === 'verifier' && problem.origin !== current
            ? ' (from your last Run; the code has changed since)'
            : '';
        const text = `${where}: ${problem.text}${stale}`;
        const title = [problem.severity, problem.detail && plainText(problem.detail)]
          .filter(Boolean)
          .join(': ');
        const { span } = problem;
        const content =
          span === null
            ? h('span', { class: 'problem-text', title }, text)
            : button(text, () => this.reveal(span.line, span.start + problem.offset), {
                class: 'problem-text',
                title,
              });
        return h('li', { class: `problem severity-${problem.severity}` }, content);
      }),
    );
  }

  private renderMarkers(problems: readonly Problem[], current: string | null): void {
    const model = this.model;
    if (!model || model.isDisposed()) return;
    const lineCount = model.getLineCount();
    const inModel = (p: Problem): p is Problem & { span: LineSpan } =>
      p.span !== null && p.span.line <= lineCount;
    // An empty range is fine: Monaco widens it to the word (or character) at that position.
    const compileMarkers = problems
      .filter((p) => p.source === 'compiler')
      .filter(inModel)
      .map((p): monaco.editor.IMarkerData => {
        const { line } = p.span;
        const column = Math.min(p.span.start + p.offset, model.getLineMaxColumn(line));
        return {
          severity: markerSeverity(p.severity),
          message: p.text,
          source: 'compiler',
          startLineNumber: line,
          startColumn: column,
          endLineNumber: line,
          endColumn: column,
        };
      });
    monaco.editor.setModelMarkers(model, COMPILE_OWNER, compileMarkers);

    // The verifier speaks of a whole statement: underline the code of its line.
    const verifier = problems.filter((p) => p.source === 'verifier').filter(inModel);
    const stale = (p: Problem) => p.origin !== current;
    monaco.editor.setModelMarkers(
      model,
      VERIFIER_OWNER,
      verifier.map((p) => ({
        severity: stale(p) ? monaco.MarkerSeverity.Warning : monaco.MarkerSeverity.Error,
        message: stale(p) ? `${p.text} (from your last Run; the code has changed since)` : p.text,
        source: 'verifier',
        startLineNumber: p.span.line,
        startColumn: p.span.start,
        endLineNumber: p.span.line,
        endColumn: Math.max(p.span.end, p.span.start + 1),
      })),
    );
    // Marker messages are plain text; the explanation has Markdown (code in backticks), so it
    // goes in a hover of its own that Monaco renders.
    this.explanationDecorations = model.deltaDecorations(
      this.explanationDecorations,
      problems
        .filter(inModel)
        .filter((p) => p.detail)
        .map((p) => ({
          range: new monaco.Range(p.span.line, p.span.start, p.span.line, p.span.end),
          options: { hoverMessage: { value: `**Why:** ${p.detail}` } },
        })),
    );
  }
}
