/**
 * Explain a Linux 6.1 BPF verifier log to a learner: pick out the verifier's own complaint,
 * say in plain English what usually causes it, and find the learner's source line it is about.
 */

export interface VerifierReport {
  /** The verifier's error line, verbatim. */
  summary: string;
  /** What usually causes it and what to do, in plain English. */
  explanation: string;
  /** 1-based line in the learner's source the error is about, when it can be found. */
  line?: number;
  /** That line's text, trimmed. */
  sourceText?: string;
}

export const FALLBACK_EXPLANATION =
  'The kernel verifier refused the program; the log below says where.';

interface Cause {
  pattern: RegExp;
  explanation: string;
}

// First match wins, so the specific causes come before the broad ones that overlap them
// (`'map_value_or_null'` is also an `invalid mem access`; `unbounded memory access` is about
// bounds, not loops).
export const VERIFIER_CAUSES: readonly Cause[] = [
  {
    pattern: /\bGPL\b/,
    explanation:
      'The program calls a kernel helper that only GPL-compatible programs may use, but its ' +
      'license is not GPL-compatible. BCC uses GPL unless the source says otherwise: remove ' +
      'your `#define BPF_LICENSE ...` or set it to GPL.',
  },
  {
    pattern: /\bR0 !read_ok/,
    explanation:
      'The function can finish without returning a value. Every path through a probe ' +
      'function must end with a return, e.g. `return 0;`.',
  },
  {
    pattern: /\bR\d+ !read_ok/,
    explanation:
      'The program uses a value that was never set. This usually means a helper function ' +
      'was called with too few arguments, or a variable was used before it was assigned.',
  },
  {
    pattern: /or_null/,
    explanation:
      'A pointer that may be NULL is used without checking it first. A map lookup ' +
      '(`bpf_map_lookup_elem()` or `map.lookup()`) returns NULL when the key is missing: ' +
      'add `if (!value) return 0;` before using the result.',
  },
  {
    pattern: /dereference of modified ctx ptr/,
    explanation:
      'The program did arithmetic on the context pointer (`ctx`) and then read through the ' +
      'result. Read fields straight from `ctx` (e.g. `PT_REGS_PARM1(ctx)` or `args->field`) ' +
      'instead of through a pointer computed from it.',
  },
  {
    pattern: /invalid bpf_context access/,
    explanation:
      'The program reads or writes a part of its context (`ctx`) that this kind of probe may ' +
      'not touch. Use the accessors for the probe type, e.g. `PT_REGS_PARM1(ctx)` in a ' +
      'kprobe or `args->field` in a tracepoint, and do not write to `ctx`.',
  },
  {
    pattern: /invalid mem access '(?:scalar|inv)'/,
    explanation:
      'The program dereferences something the verifier only knows as a plain number: a NULL ' +
      'or unchecked pointer, or a kernel pointer read directly. Copy kernel memory with ' +
      '`bpf_probe_read_kernel()` (user memory with `bpf_probe_read_user()`), and check map ' +
      'lookups for NULL before using them.',
  },
  {
    pattern: /invalid (?:indirect )?read from stack|invalid indirect access to stack/,
    explanation:
      'The program reads stack memory that was never written, such as a local variable or ' +
      'struct that was not initialized before being read or passed to a helper. Initialize ' +
      'it first, e.g. `struct data_t data = {};` or `char buf[16] = {};`.',
  },
  {
    pattern:
      /outside of the allowed memory range|invalid access to (?:map value|packet|memory)|min value is negative|unbounded\b.*\b(?:access|value)|out of bounds|variable-offset (?:read|write)/,
    explanation:
      'The program may read or write outside the memory it is allowed to touch, e.g. past ' +
      'the end of a map value, buffer or packet, or at an index the verifier cannot bound. ' +
      'Check the offset or index against the size first (e.g. `if (i >= MAX) return 0;`) ' +
      'so the verifier can see it is in range.',
  },
  {
    pattern:
      /back-edge from insn|infinite loop detected|unbounded|BPF program is too large|The sequence of \d+ jumps is too complex/,
    explanation:
      'The verifier could not prove that the program finishes: a loop whose end it cannot ' +
      'see, or too many branches to check in time. Give every loop a small constant bound ' +
      '(e.g. `for (int i = 0; i < 16; i++)`) rather than one read at run time.',
  },
  {
    pattern: /combined stack size/,
    explanation:
      'The program and the functions it calls use more than 512 bytes of stack together. ' +
      'Use smaller local variables, or keep large buffers in a per-CPU array map instead.',
  },
  {
    pattern: /unknown func|cannot use helper|helper call is not allowed/,
    explanation:
      'The program calls a kernel helper function that this kind of probe may not use, or ' +
      'that this kernel does not have. Use a helper allowed for kprobes and tracepoints.',
  },
  {
    pattern: /\btype=\w+ expected=/,
    explanation:
      'A helper function got the wrong kind of argument, e.g. a number where it needs a ' +
      'pointer to memory. Pass the address of a variable (`&var`) or a NULL-checked map value.',
  },
];

// Lines that are the verifier walking the program (instructions, register states, source
// line info, precision tracking), never its complaint.
const TRACE_LINE =
  /^(?:\d+:|; |;$|from \d+ to \d+:|R\d+(?:_\w+)?=|\s|func#\d|Validating |caller:|callee:|returning from callee|to caller at|frame\d+:|last_idx |regs=|parent (?:didn't|already)|propagating|mark_precise)/;

// Statistics and what BCC, libbpf or Python print around the kernel's log.
const NOISE_LINE =
  /^(?:processed \d+ insns|verification time |stack depth |bpf: |HINT: |libbpf: |-- (?:BEGIN|END) PROG LOAD LOG --|Traceback \(most recent call last\)|Exception: )/;

const STATS_LINE = /^processed \d+ insns/;

/** A line the verifier wrote to say something, rather than to trace its walk. */
function isMessage(line: string): boolean {
  return line !== '' && !TRACE_LINE.test(line) && !NOISE_LINE.test(line);
}

function findCause(text: string): string | undefined {
  return VERIFIER_CAUSES.find((cause) => cause.pattern.test(text))?.explanation;
}

/** Summarize a verifier log and point at the learner's source line it is about. */
export function explainVerifierLog(log: string, source: string): VerifierReport {
  const lines = log.split(/\r?\n/).map((line) => line.trimEnd());

  // The complaint is printed just before the statistics; without them (a truncated log) it is
  // the last line that is not part of the walk.
  let end = lines.length;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (STATS_LINE.test(lines[i] ?? '')) {
      end = i;
      break;
    }
  }

  let errorIndex = -1;
  for (let i = end - 1; i >= 0; i--) {
    if (isMessage(lines[i] ?? '')) {
      errorIndex = i;
      break;
    }
  }

  let summary: string;
  if (errorIndex >= 0) {
    summary = lines[errorIndex] ?? '';
  } else {
    // Nothing from the verifier itself: show what there is, e.g. BCC's `bpf: ...` line.
    const last = lines.findLast((line) => line !== '' && !STATS_LINE.test(line));
    summary = last?.trim() ?? 'The verifier printed no log.';
  }

  // Some complaints span several lines with the telling phrase first (`invalid access to map
  // value, ...` then `R0 min value is outside ...`), so read the whole block up to the walk.
  let explanation = findCause(summary);
  for (let i = errorIndex - 1; explanation === undefined && i >= 0; i--) {
    const line = lines[i] ?? '';
    if (TRACE_LINE.test(line)) break;
    if (isMessage(line)) explanation = findCause(line);
  }

  const report: VerifierReport = { summary, explanation: explanation ?? FALLBACK_EXPLANATION };
  const found = findSourceLine(lines, errorIndex >= 0 ? errorIndex : end, source);
  if (found !== undefined) {
    report.line = found.line;
    report.sourceText = found.text;
  }
  return report;
}

// The verifier prints `; <source text>` (left-trimmed) whenever the source line changes; Linux
// 6.12 appends ` @ <file>:<line>`, where file and line are BCC's rewritten source, not the
// learner's. The last one before the error is the line being checked when it failed.
const LINE_INFO_FILE = / @ [^ ]+:\d+$/;

function findSourceLine(
  lines: string[],
  before: number,
  source: string,
): { line: number; text: string } | undefined {
  const infos: string[] = [];
  for (let i = 0; i < before; i++) {
    const line = lines[i] ?? '';
    if (!line.startsWith('; ')) continue;
    const text = line.slice(2).trim().replace(LINE_INFO_FILE, '').trim();
    if (text !== '' && text !== infos.at(-1)) infos.push(text);
  }
  const target = infos.at(-1);
  if (target === undefined) return undefined;

  const sourceLines = source.split(/\r?\n/).map((line) => line.trim());
  const candidates = matchLines(sourceLines, target);
  if (candidates.length === 0) return undefined;

  // A line like `return 0;` can occur many times. The verifier printed the lines it walked
  // through on the way, so the nearest earlier one that is unambiguous anchors the choice:
  // take the first candidate at or after it, else the closest one before it.
  let chosen = candidates[0] ?? 0;
  if (candidates.length > 1) {
    for (let k = infos.length - 2; k >= 0; k--) {
      const anchors = matchLines(sourceLines, infos[k] ?? '');
      if (anchors.length !== 1) continue;
      const anchor = anchors[0] ?? 0;
      chosen =
        candidates.find((index) => index >= anchor) ??
        candidates.filter((index) => index < anchor).at(-1) ??
        chosen;
      break;
    }
  }
  return { line: chosen + 1, text: sourceLines[chosen] ?? target };
}

/**
 * Indexes of the (trimmed) source lines equal to `text`, failing that containing it, failing
 * that sharing the most tokens with it. The last step is for BCC's rewrites: the verifier
 * quotes the text BCC compiled, where `counts.lookup(&key)` became `bpf_map_lookup_elem(...)`
 * and `bpf_trace_printk("hi\\n")` a block around `bpf_trace_printk_`; string literals and
 * names such as `key` and `value` survive the rewrite and point back to the learner's line.
 */
export function matchLines(sourceLines: string[], text: string): number[] {
  const exact: number[] = [];
  const containing: number[] = [];
  sourceLines.forEach((line, index) => {
    if (line === text) exact.push(index);
    else if (line.includes(text)) containing.push(index);
  });
  if (exact.length > 0) return exact;
  if (containing.length > 0) return containing;
  return bestTokenOverlap(sourceLines, text);
}

// String literals weigh more than names: they rarely repeat between lines.
const TOKEN = /"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*/g;
const STRING_WEIGHT = 3;
const COMMON_WORDS = new Set(['int', 'char', 'void', 'return', 'sizeof', 'u32', 'u64', 'struct']);

function tokens(text: string): Set<string> {
  const found = new Set<string>();
  for (const [token] of text.matchAll(TOKEN)) {
    const word = token.replace(/_+$/, '');
    if (word.length >= 2 && !COMMON_WORDS.has(word)) found.add(word);
  }
  return found;
}

function bestTokenOverlap(sourceLines: string[], text: string): number[] {
  const wanted = tokens(text);
  let best = 0;
  let lines: number[] = [];
  sourceLines.forEach((line, index) => {
    if (line.startsWith('//')) return;
    let score = 0;
    for (const token of tokens(line)) {
      if (wanted.has(token)) score += token.startsWith('"') ? STRING_WEIGHT : 1;
    }
    if (score > best) {
      best = score;
      lines = [index];
    } else if (score === best && score > 0) {
      lines.push(index);
    }
  });
  return lines;
}
