/**
 * Where a piece of code is after the learner's edits. A diagnostic is made for one version of
 * the source; it is pinned to the code of its line (a span from the first non-blank column to
 * the end of the line), and every edit moves that span the way the text around it moved. An
 * edit inside the span changes the code the diagnostic was about, so the span (and with it the
 * diagnostic) is gone; typing at its edges, or above or below it, only moves it. Pure logic, so
 * the rules are unit-tested without an editor.
 */

/** A range on one line: 1-based line, columns `[start, end)` counted as Monaco does (from 1). */
export interface LineSpan {
  line: number;
  start: number;
  end: number;
}

/** One edit: the range it replaced (in the text before it) and the text put there. */
export interface TextChange {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
  text: string;
}

/** The code of every line of `text`: blank lines get an empty span at their end. */
export function spansOf(text: string): LineSpan[] {
  return text.split(/\r\n|\r|\n/).map((content, index) => {
    const first = content.search(/\S/);
    const end = content.length + 1;
    return { line: index + 1, start: first < 0 ? end : first + 1, end };
  });
}

function before(lineA: number, columnA: number, lineB: number, columnB: number): boolean {
  return lineA < lineB || (lineA === lineB && columnA <= columnB);
}

/**
 * `span` after `change`, or null when the change touched its code: replaced any of it, or
 * inserted text strictly inside it. Changes that end at its start or begin at its end leave the
 * code whole (typing a new line above a statement, or `;` after it).
 */
export function moveSpan(span: LineSpan, change: TextChange): LineSpan | null {
  const { startLine, startColumn, endLine, endColumn, text } = change;
  // Entirely after the span: nothing before the span moved.
  if (before(span.line, span.end, startLine, startColumn)) return span;
  // Touching the code itself.
  if (!before(endLine, endColumn, span.line, span.start)) return null;
  const inserted = text.split(/\r\n|\r|\n/);
  const addedLines = inserted.length - 1;
  const lastLength = (inserted.at(-1) as string).length;
  if (span.line !== endLine) {
    return { ...span, line: span.line + addedLines - (endLine - startLine) };
  }
  // On the line where the change ends: the span's columns move with the text after the change.
  const base = addedLines === 0 ? startColumn + lastLength : lastLength + 1;
  const shift = base - endColumn;
  return { line: startLine + addedLines, start: span.start + shift, end: span.end + shift };
}

/** `span` after each change in order (Monaco lists an event's changes so they apply in turn). */
export function moveSpanThrough(
  span: LineSpan | null,
  changes: readonly TextChange[],
): LineSpan | null {
  let moved = span;
  for (const change of changes) {
    if (moved === null) return null;
    moved = moveSpan(moved, change);
  }
  return moved;
}
