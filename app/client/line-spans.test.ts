import { describe, expect, it } from 'vitest';
import {
  type LineSpan,
  moveSpan,
  moveSpanThrough,
  spansOf,
  type TextChange,
} from './line-spans.js';

/** An insertion of `text` at line:column. */
const insert = (line: number, column: number, text: string): TextChange => ({
  startLine: line,
  startColumn: column,
  endLine: line,
  endColumn: column,
  text,
});

// Lesson 7's probe, as the learner had it when Run was rejected at line 7.
const LESSON_7 = [
  '#include <uapi/linux/ptrace.h>',
  'BPF_HASH(counts, u32, u64);',
  '',
  'int count_exec(void *ctx) {',
  '    u32 key = 0;',
  '    u64 *count = counts.lookup(&key);',
  '    *count += 1;',
  '    return 0;',
  '}',
].join('\n');

describe('spansOf', () => {
  it("spans each line's code, from its first non-blank column to its end", () => {
    const spans = spansOf(LESSON_7);
    expect(spans).toHaveLength(9);
    expect(spans[6]).toEqual({ line: 7, start: 5, end: 17 });
    expect(spans[0]).toEqual({ line: 1, start: 1, end: 31 });
    // A blank line: an empty span at its end.
    expect(spans[2]).toEqual({ line: 3, start: 1, end: 1 });
  });
});

describe('moveSpan', () => {
  const line7: LineSpan = { line: 7, start: 5, end: 17 };

  it('follows the code down when a fix is typed above it (lesson 7: the null check)', () => {
    // The learner clicks before `*count`, types the check and presses Enter (Monaco indents).
    const typed = 'if (count == NULL) return 0;';
    const moved = moveSpanThrough(line7, [
      insert(7, 5, typed),
      insert(7, 5 + typed.length, '\n    '),
    ]);
    expect(moved).toEqual({ line: 8, start: 5, end: 17 });
  });

  it('moves down by whole lines inserted above, and up by lines deleted above', () => {
    expect(moveSpan(line7, insert(2, 1, 'a\nb\n'))).toEqual({ line: 9, start: 5, end: 17 });
    const deleteLines4to5 = { startLine: 4, startColumn: 1, endLine: 6, endColumn: 1, text: '' };
    expect(moveSpan(line7, deleteLines4to5)).toEqual({ line: 5, start: 5, end: 17 });
  });

  it('moves right when text is typed before the code on its line, and left when deleted', () => {
    expect(moveSpan(line7, insert(7, 1, '  '))).toEqual({ line: 7, start: 7, end: 19 });
    const unindent = { startLine: 7, startColumn: 1, endLine: 7, endColumn: 3, text: '' };
    expect(moveSpan(line7, unindent)).toEqual({ line: 7, start: 3, end: 15 });
  });

  it('stays where it is for edits after it: `;` typed at its end, lines below', () => {
    expect(moveSpan(line7, insert(7, 17, ';'))).toBe(line7);
    expect(moveSpan(line7, insert(8, 1, 'x\n'))).toBe(line7);
  });

  it('is gone when its code is edited: typed into, replaced, or its line deleted', () => {
    expect(moveSpan(line7, insert(7, 10, 'x'))).toBeNull();
    const replaceCount = { startLine: 7, startColumn: 6, endLine: 7, endColumn: 11, text: 'n' };
    expect(moveSpan(line7, replaceCount)).toBeNull();
    const deleteLine = { startLine: 7, startColumn: 1, endLine: 8, endColumn: 1, text: '' };
    expect(moveSpan(line7, deleteLine)).toBeNull();
    const joinWithAbove = { startLine: 6, startColumn: 38, endLine: 7, endColumn: 5, text: ' ' };
    expect(moveSpan(line7, joinWithAbove)).toEqual({ line: 6, start: 39, end: 51 });
    const selectAllAndType = { startLine: 1, startColumn: 1, endLine: 9, endColumn: 2, text: 'x' };
    expect(moveSpan(line7, selectAllAndType)).toBeNull();
  });

  it('moves with a line split before it on its own line', () => {
    // Enter in the indentation of line 7 (column 3): the code moves to line 8, column 3.
    expect(moveSpan(line7, insert(7, 3, '\n'))).toEqual({ line: 8, start: 3, end: 15 });
  });

  it('applies several changes in turn, and a gone span stays gone', () => {
    expect(moveSpanThrough(null, [insert(1, 1, 'x')])).toBeNull();
    expect(moveSpanThrough(line7, [insert(7, 10, 'x'), insert(1, 1, '\n')])).toBeNull();
    expect(moveSpanThrough(line7, [insert(9, 1, '\n'), insert(1, 1, '\n')])).toEqual({
      line: 8,
      start: 5,
      end: 17,
    });
  });
});
