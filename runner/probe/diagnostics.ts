/**
 * Turn the clang diagnostics BCC prints on a failed compile into positions in the learner's
 * own file, so the editor can mark the right line and the CLI can print `hello.c:2:5: ...`.
 *
 * BCC compiles the learner's text as `/virtual/main.c`; problems found in other files (headers
 * the learner included, BCC's own helpers) are pinned to the learner line that led there. A note
 * in a file the learner's text did not include (BCC's helpers.h: "'bpf_trace_printk' declared
 * here") stays with the diagnostic it annotates.
 */

export interface SourceDiagnostic {
  /** 1-based, in the learner's file. */
  line: number;
  /** 1-based, in the learner's file. */
  column: number;
  severity: 'error' | 'warning' | 'note';
  message: string;
  /** Set only when clang reported the problem in a file other than the learner's. */
  file?: string;
  /** Why this happens in a BPF program and what to write instead, in plain words. */
  hint?: string;
}

export const BCC_MAIN_FILE = '/virtual/main.c';

// `FILE:LINE:COL: SEVERITY: MESSAGE`; the column is absent for some locations. The file is
// matched lazily so that a message containing `:1:2: error: ` cannot move the split point.
const LOCATED = /^(.+?):(\d+):(?:(\d+):)? (fatal error|error|warning|note|remark): (.*)$/;
// `error: ...`, `fatal error: too many errors emitted, ...`, `clang: error: ...`.
const UNLOCATED = /^(?:[\w.+-]+: )?(fatal error|error|warning|note|remark): (.*)$/;
// Clang prints the include stack outermost first, one `In file included from FILE:LINE:` each.
const INCLUDED_FROM = /^In file included from (.+?):(\d+)(?::\d+)?:$/;
// The caret line under a source excerpt; newer clang prefixes both with a `  12 | ` gutter.
const CARET = /^\s*(?:\d*\s*\|)?[ \t~^]*\^[ \t~^]*$/;

type Severity = SourceDiagnostic['severity'];

function severityOf(word: string): Severity {
  if (word === 'warning') return 'warning';
  if (word === 'note' || word === 'remark') return 'note';
  return 'error';
}

function positive(digits: string | undefined): number {
  const n = Number(digits ?? '1');
  return Number.isSafeInteger(n) && n >= 1 ? n : 1;
}

// Newer clang puts a `  14 | ` gutter before the quoted source line.
const GUTTER = /^\s*\d+\s*\|\s?/;

/**
 * Parse clang's stderr as printed by BCC into diagnostics positioned in the learner's file.
 *
 * With `source`, lines are checked against clang's quoted excerpt: BCC adds text before the
 * learner's code (TRACEPOINT_PROBE's `args` struct, generated from the tracepoint's format),
 * so clang's line numbers can be too high. The excerpt is the learner's own line and finds it.
 */
export function parseClangDiagnostics(
  stderr: string,
  mainFile: string = BCC_MAIN_FILE,
  source?: string,
): SourceDiagnostic[] {
  const lines = stderr.split(/\r?\n/);
  const out: SourceDiagnostic[] = [];
  const sourceLines = source?.split(/\r?\n/).map((line) => line.trim());
  // How many lines BCC inserted above the last diagnostic that had an excerpt.
  let shift = 0;
  // Clang repeats an include stack only when it changes, so later diagnostics in the same
  // header arrive without one: remember, per file, the learner line that pulled it in.
  const includedAt = new Map<string, number>();
  let chain: { file: string; line: number }[] = [];

  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? '';

    const include = INCLUDED_FROM.exec(text);
    if (include !== null) {
      chain.push({ file: include[1] ?? '', line: positive(include[2]) });
      continue;
    }

    const located = LOCATED.exec(text);
    if (located !== null) {
      const [, file = '', lineText, columnText, word = '', message = ''] = located;
      const diagnostic = place(file, lineText, columnText, severityOf(word), message);
      chain = [];
      // A source excerpt follows: the code line, then the caret line. The code line is the
      // learner's own text and may look like anything, even a diagnostic, so skip the pair.
      const hasExcerpt = CARET.test(lines[i + 2] ?? '') && !CARET.test(lines[i + 1] ?? '');
      if (file === mainFile && sourceLines !== undefined) {
        const excerpt = hasExcerpt ? (lines[i + 1] ?? '').replace(GUTTER, '').trim() : undefined;
        if (excerpt !== undefined) shift = shiftFor(sourceLines, diagnostic.line, excerpt, shift);
        diagnostic.line = Math.max(1, diagnostic.line - shift);
      }
      out.push(diagnostic);
      if (hasExcerpt) i += 2;
      continue;
    }

    const unlocated = UNLOCATED.exec(text);
    if (unlocated !== null) {
      const [, word = '', message = ''] = unlocated;
      out.push({ line: 1, column: 1, severity: severityOf(word), message });
    }
    // Anything else (excerpts, fix-it hints, `1 error generated.`, BCC's own complaints) is
    // not a diagnostic, and it ends any include stack that was being collected.
    chain = [];
  }
  return out;

  function place(
    file: string,
    lineText: string | undefined,
    columnText: string | undefined,
    severity: Severity,
    message: string,
  ): SourceDiagnostic {
    const line = positive(lineText);
    const column = positive(columnText);
    if (file === mainFile) return { line, column, severity, message };

    // The innermost appearance of the learner's file in the stack is the #include to blame;
    // every file below it in the stack was reached through that line.
    const fromMain = chain.map((entry) => entry.file).lastIndexOf(mainFile);
    if (fromMain >= 0) {
      const at = chain[fromMain]?.line ?? 1;
      for (const entry of chain.slice(fromMain + 1)) includedAt.set(entry.file, at);
      includedAt.set(file, at);
    } else if (chain.length > 0) {
      // A fresh stack that does not reach the learner's file overrides what we knew.
      includedAt.delete(file);
    }
    const where = columnText === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
    // Clang prints a note right after what it annotates: where no #include of the learner's
    // leads to its file, that is the place to show it, not line 1.
    const annotated = severity === 'note' ? out.at(-1) : undefined;
    const at = includedAt.get(file);
    return {
      line: at ?? annotated?.line ?? 1,
      column: at === undefined && annotated ? annotated.column : 1,
      severity,
      message: `in ${where}: ${message}`,
      file,
    };
  }
}

/**
 * How far below the learner's line clang's `line` is, judged by the quoted `excerpt`: 0 when
 * the line says what the learner wrote there, else the distance to the nearest line above that
 * does (BCC only ever inserts text, so the learner's line is never below clang's).
 */
function shiftFor(sourceLines: string[], line: number, excerpt: string, previous: number): number {
  if (excerpt === '' || sourceLines[line - 1] === excerpt) return 0;
  if (sourceLines[line - 1 - previous] === excerpt) return previous;
  for (let at = Math.min(line, sourceLines.length) - 1; at >= 0; at--) {
    if (sourceLines[at] === excerpt) return line - 1 - at;
  }
  return previous;
}

/** `hello.c:2:5: error: message`, the shape compilers print. */
export function formatDiagnostic(fileName: string, d: SourceDiagnostic): string {
  return `${fileName}:${d.line}:${d.column}: ${d.severity}: ${d.message}`;
}
