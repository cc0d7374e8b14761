/**
 * Code the lesson text tells the learner to type into a starter file. A fence marked
 * ` ```text todo=FILE ` (any language) is typed in place of FILE's next `TODO` comment; the
 * starter with every such snippet typed in must then be the solution. This catches text the
 * lab would contradict, such as a snippet that declares a variable the starter already declares
 * (a "redefinition" for the compiler), without a sandbox: the author's solution is the truth.
 */
import type { LessonFile } from './schema.js';

export interface Snippet {
  /** The starter file it is typed into. */
  file: string;
  text: string;
  /** Line of the opening fence in lesson.md (1-based). */
  line: number;
}

export interface Fence {
  /** The info string's first word (`text`, `c`, `console`, ...), lower case. */
  language: string;
  /** `key=value` options after the language. */
  options: Record<string, string>;
  /** Words after the language that are not `key=value`. */
  words: string[];
  text: string;
  /** Line of the opening fence (1-based). */
  line: number;
}

/** Options a fence may carry; anything else of the form `key=value` is an authoring mistake. */
export const FENCE_OPTIONS = ['todo'] as const;

/** The fenced code blocks of a Markdown file, with the line each starts on. */
export function fencesOf(markdown: string): Fence[] {
  const fences: Fence[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,}|~{3,})\s*(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const marker = open[1] ?? '```';
    const [language = '', ...rest] = (open[2] ?? '').trim().split(/\s+/);
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !isClosing(lines[j] ?? '', marker)) {
      body.push(lines[j] ?? '');
      j++;
    }
    const options: Record<string, string> = {};
    const words: string[] = [];
    for (const word of rest.filter(Boolean)) {
      const option = /^([A-Za-z][\w-]*)=(.*)$/.exec(word);
      if (option) options[option[1] ?? ''] = option[2] ?? '';
      else words.push(word);
    }
    fences.push({
      language: language.toLowerCase(),
      options,
      words,
      text: body.join('\n'),
      line: i + 1,
    });
    i = j;
  }
  return fences;
}

function isClosing(line: string, marker: string): boolean {
  const trimmed = line.trim();
  return trimmed.length >= marker.length && trimmed.startsWith(marker) && /^(`+|~+)$/.test(trimmed);
}

/**
 * Problems with the `todo=` snippets of a lesson: `mdPath` names the file in messages and
 * `markdown` is the whole of lesson.md (so lines are the file's own).
 */
export function snippetProblems(mdPath: string, markdown: string, files: LessonFile[]): string[] {
  const problems: string[] = [];
  const byFile = new Map<string, Snippet[]>();
  for (const fence of fencesOf(markdown)) {
    for (const key of Object.keys(fence.options)) {
      if (!(FENCE_OPTIONS as readonly string[]).includes(key)) {
        problems.push(
          `${mdPath} line ${fence.line}: unknown code block option "${key}" (known: ${FENCE_OPTIONS.join(', ')})`,
        );
      }
    }
    const file = fence.options.todo;
    if (file === undefined) continue;
    if (!files.some((f) => f.name === file)) {
      problems.push(
        `${mdPath} line ${fence.line}: todo=${file}: no starter file of that name in files/`,
      );
      continue;
    }
    byFile.set(file, [...(byFile.get(file) ?? []), { file, text: fence.text, line: fence.line }]);
  }
  for (const [name, snippets] of byFile) {
    const file = files.find((f) => f.name === name) as LessonFile;
    const first = snippets[0] as Snippet;
    const where = `${mdPath} line ${first.line}`;
    if (file.solution === null) {
      problems.push(
        `${where}: todo=${name}: there is no solution/${name} to compare the typed snippet with`,
      );
      continue;
    }
    const typed = typeAtTodos(file.starter, snippets, commentMarker(name));
    if ('error' in typed) {
      problems.push(`${where}: todo=${name}: ${typed.error}`);
      continue;
    }
    const difference = firstDifference(typed.text, file.solution, name);
    if (difference === undefined) continue;
    const redeclared = redeclaration(file.starter, snippets, name);
    problems.push(
      redeclared
        ? `${mdPath} line ${redeclared.line}: typed in place of the TODO in files/${name}, this snippet declares "${redeclared.name}" again (files/${name} line ${redeclared.starterLine} already declares it; the compiler calls it a redefinition): show it without its type, as in solution/${name}`
        : `${where}: the snippets for ${name}, typed in place of its TODO comments, do not give solution/${name}: ${difference}`,
    );
  }
  return problems;
}

type CommentMarker = '//' | '#';

function commentMarker(fileName: string): CommentMarker {
  return /\.(py|sh)$/.test(fileName) ? '#' : '//';
}

/**
 * The starter with snippet i typed in place of its i-th TODO comment: the comment line that
 * says TODO and the comment lines that carry on from it.
 */
export function typeAtTodos(
  starter: string,
  snippets: readonly Pick<Snippet, 'text'>[],
  marker: CommentMarker,
): { text: string } | { error: string } {
  const lines = starter.split('\n');
  const isComment = (line: string | undefined) => line?.trim().startsWith(marker) ?? false;
  const todos: { start: number; end: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!isComment(lines[i]) || !/\bTODO\b/.test(lines[i] ?? '')) continue;
    let end = i + 1;
    while (end < lines.length && isComment(lines[end]) && !/\bTODO\b/.test(lines[end] ?? '')) end++;
    todos.push({ start: i, end });
    i = end - 1;
  }
  if (todos.length < snippets.length) {
    return {
      error: `the lesson shows ${snippets.length} snippet(s) to type in place of a TODO, but the starter has ${todos.length} ${marker} TODO comment(s)`,
    };
  }
  // From the last TODO back, so earlier line numbers stay true.
  for (let k = snippets.length - 1; k >= 0; k--) {
    const todo = todos[k] as { start: number; end: number };
    lines.splice(todo.start, todo.end - todo.start, ...(snippets[k]?.text ?? '').split('\n'));
  }
  return { text: lines.join('\n') };
}

/**
 * Lines as the compiler or interpreter sees them: no blank lines, no comments, spaces
 * collapsed (indentation still counts in Python, but a snippet is indented as the learner
 * types it, so it is compared without it).
 */
function codeLines(text: string, fileName: string): string[] {
  const marker = commentMarker(fileName);
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    if (line.startsWith(marker) && !(marker === '#' && line.startsWith('#!'))) continue;
    const comment = line.indexOf(` ${marker}`);
    // A trailing comment, unless the marker sits inside a string (an odd number of quotes before it).
    if (comment >= 0 && (line.slice(0, comment).match(/["']/g)?.length ?? 0) % 2 === 0) {
      line = line.slice(0, comment).trim();
    }
    line = line.replace(/\s+/g, ' ');
    if (line !== '') out.push(line);
  }
  return out;
}

function firstDifference(typed: string, solution: string, fileName: string): string | undefined {
  const a = codeLines(typed, fileName);
  const b = codeLines(solution, fileName);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    if (a[i] === undefined) return `the solution goes on with "${b[i]}"`;
    if (b[i] === undefined) return `the typed file goes on with "${a[i]}" after the solution ends`;
    return `the typed file has "${a[i]}" where the solution has "${b[i]}"`;
  }
  return undefined;
}

const NOT_TYPES = new Set(['return', 'goto', 'else', 'case', 'do', 'sizeof']);
// `u32 pid = ...;`, `char comm[16];`, `struct key_t *key = ...;`: type words, then the name.
const DECLARATION = /^\s*((?:[A-Za-z_]\w*\s+)+)\**\s*([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*(?:=|;)/;

function declaredName(line: string): string | undefined {
  const match = DECLARATION.exec(line);
  if (!match) return undefined;
  const types = (match[1] ?? '').trim().split(/\s+/);
  return types.some((word) => NOT_TYPES.has(word)) ? undefined : match[2];
}

/** A C snippet line that declares a name the starter already declares, if there is one. */
function redeclaration(
  starter: string,
  snippets: readonly Snippet[],
  fileName: string,
): { name: string; line: number; starterLine: number } | undefined {
  if (commentMarker(fileName) !== '//') return undefined;
  const starterLines = starter.split('\n');
  for (const snippet of snippets) {
    for (const line of snippet.text.split('\n')) {
      const name = declaredName(line);
      if (name === undefined) continue;
      const index = starterLines.findIndex((l) => declaredName(l) === name);
      if (index >= 0) return { name, line: snippet.line, starterLine: index + 1 };
    }
  }
  return undefined;
}
