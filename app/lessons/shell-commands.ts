/**
 * The programs a lesson's shell blocks run: the first word of each command the learner would
 * type (what "Run in shell" types). `ebpf-lab lessons check` asks the sandbox whether each
 * exists, so a lesson cannot send a learner to a tool the guest image does not have.
 */
import { fencesOf } from './snippets.js';

export interface CommandName {
  name: string;
  /** lesson.md line of the command (1-based). */
  line: number;
}

const SHELL_LANGUAGES = new Set(['console', 'sh', 'bash', 'shell']);
// Words that run the next word: it is that word that must exist (they are checked too).
const PREFIXES = new Set(['sudo', 'time', 'exec', 'nohup', 'env', 'command']);
// A name safe to pass to the sandbox's shell as is; others (paths, expansions) are skipped.
export const PLAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/;

/** Each distinct program name the shell blocks of `markdown` (all of lesson.md) run, first use. */
export function commandNames(markdown: string): CommandName[] {
  const found = new Map<string, number>();
  for (const fence of fencesOf(markdown)) {
    if (!SHELL_LANGUAGES.has(fence.language)) continue;
    for (const { text, line } of typedLines(fence.text, fence.language === 'console')) {
      for (const name of namesIn(text)) {
        if (!found.has(name)) found.set(name, fence.line + line);
      }
    }
  }
  return [...found].map(([name, line]) => ({ name, line }));
}

/** The commands of a block with their line in it (1-based), `\` continuations joined. */
function typedLines(text: string, console: boolean): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let current = lines[i] ?? '';
    if (console) {
      if (!current.startsWith('$ ')) continue;
      current = current.slice(2);
    }
    if (current.trim() === '' || current.trim().startsWith('#')) continue;
    const start = i;
    while (current.endsWith('\\') && i + 1 < lines.length) {
      i++;
      current = `${current.slice(0, -1)} ${lines[i] ?? ''}`;
    }
    out.push({ text: current, line: start + 1 });
  }
  return out;
}

/** The program name at the start of each part of a command line (split at | ; & && ||). */
function namesIn(command: string): string[] {
  const names: string[] = [];
  for (const segment of segments(command)) {
    const words = segment.trim().split(/\s+/).filter(Boolean);
    let i = 0;
    while (i < words.length && /^[A-Za-z_]\w*=/.test(words[i] ?? '')) i++; // VAR=value
    while (i < words.length && PREFIXES.has(words[i] ?? '')) {
      names.push(words[i] as string);
      i++;
      while (i < words.length && (words[i] ?? '').startsWith('-')) i++; // sudo -E, env -i
    }
    const word = words[i];
    if (word !== undefined && PLAIN_NAME.test(word)) names.push(word);
  }
  return names;
}

/** A command line split at unquoted `|`, `;` and `&` (so also `||` and `&&`). */
function segments(command: string): string[] {
  const parts: string[] = [];
  let quote: string | null = null;
  let current = '';
  for (const ch of command) {
    if (quote) {
      if (ch === quote) quote = null;
      current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      current += ch;
    } else if (ch === '|' || ch === ';' || ch === '&') {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/**
 * A bash script that prints each of `names` that is not a command (program, builtin or keyword)
 * in the sandbox. The names are checked against PLAIN_NAME first, so they need no quoting.
 */
export function missingCommandsScript(names: readonly string[]): string {
  const plain = names.filter((n) => PLAIN_NAME.test(n));
  return `for c in ${plain.join(' ')}; do command -v "$c" >/dev/null 2>&1 || echo "$c"; done`;
}

/** Each command line the shell blocks of `markdown` show, in order (`$ ` stripped in console blocks). */
export function commandLines(markdown: string): string[] {
  const lines: string[] = [];
  for (const fence of fencesOf(markdown)) {
    if (!SHELL_LANGUAGES.has(fence.language)) continue;
    for (const { text } of typedLines(fence.text, fence.language === 'console')) lines.push(text);
  }
  return lines;
}
