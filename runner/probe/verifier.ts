import { describeLibraryCall, findLibraryCalls } from './c-library.js';

/**
 * Explain a Linux BPF verifier log (6.1 and 6.12 wording) to a learner: pick out the verifier's own complaint,
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
  'The kernel verifier refused the program for a reason this lab has no plain-words ' +
  'explanation for yet: its message is above, and the last `;` line of the log below is the ' +
  'source line it was checking.';

/** What a cause can look at besides the message: the log, the failing register, the source. */
export interface CauseContext {
  /** The verifier's complaint (or the log line that matched). */
  summary: string;
  /** How the failing register (`R3` in `R3 invalid mem access`) got its value, e.g. `r3 = 0x0`. */
  registerOrigin?: string;
  /** The learner's line the verifier was checking, trimmed, when found. */
  sourceText?: string;
  source: string;
}

export interface Cause {
  /** Short name, for tests and counts. */
  id: string;
  pattern: RegExp;
  /** The general explanation: right for every message the pattern matches. */
  explanation: string;
  /**
   * A sharper explanation when the context tells which of the possible causes this is; it
   * returns undefined when it cannot tell, and the general explanation stands.
   */
  refine?: (context: CauseContext) => string | undefined;
  /** The learner's line to blame when the log has no line info (e.g. nothing was verified). */
  locate?: (source: string) => number | undefined;
}

// `const char *wanted = "/etc/passwd";` — a pointer to a string literal.
const LITERAL_POINTER = /\bchar\s*\*\s*(?:const\s+)?([A-Za-z_]\w*)\s*=\s*"/g;

function literalPointers(source: string): string[] {
  return [...source.matchAll(LITERAL_POINTER)].map((m) => m[1] ?? '');
}

function explainScalarAccess(context: CauseContext): string | undefined {
  const origin = context.registerOrigin ?? '';
  // `r3 = 0x0` from a 64-bit load (opcode 18): the address of data BCC never loads.
  if (/^\(18\) r\d+ = 0x0$/.test(origin)) {
    const names = literalPointers(context.source);
    const used = names.filter((n) => new RegExp(`\\b${n}\\b`).test(context.sourceText ?? ''));
    const name = used[0] ?? names[0];
    const fix =
      name === undefined
        ? 'Keep the data on the stack instead, e.g. `char wanted[] = "...";` rather than ' +
          '`const char *wanted = "...";`, and use maps rather than global variables.'
        : `Here that is \`${name}\`: declare it as an array on the stack, ` +
          `\`char ${name}[] = "...";\`, instead of a pointer to a string literal.`;
    return (
      'The program reads through a pointer to a string literal or a global variable. BCC ' +
      "does not load a program's read-only data or globals into the kernel, so that pointer " +
      `is 0 when the program runs, and the verifier refuses to read through it. ${fix}`
    );
  }
  // `r1 = 0`: a constant NULL on this path.
  if (/^\(b7\) r\d+ = 0$/.test(origin)) {
    return (
      'The program reads through a pointer that is NULL (0) on this path. Point it at real ' +
      'memory (a local variable, a NULL-checked map value) before reading through it.'
    );
  }
  const line = context.sourceText ?? '';
  if (/bpf_probe_read/.test(line)) {
    // The copy is already there: the pointer given to it, or to the next read, is the problem.
    return (
      'The program dereferences a value the verifier only knows as a plain number, not a ' +
      'pointer it may read directly. This line already copies with bpf_probe_read_*(), so ' +
      'look at the pointer being read through: it may be 0 on some path (check it first), or ' +
      'it may point into kernel or user memory, which must itself be copied to a local ' +
      'variable before you read its fields.'
    );
  }
  return undefined;
}

// First match wins, so the specific causes come before the broad ones that overlap them
// (`'map_value_or_null'` is also an `invalid mem access`; `unbounded memory access` is about
// bounds, not loops).
export const VERIFIER_CAUSES: readonly Cause[] = [
  {
    id: 'c-library-call',
    // Nothing was verified: the program ends in a call with nowhere to go, or jumps out of it.
    pattern:
      /last insn is not an exit or jmp|jump out of range|call to invalid destination|invalid func unknown#|unknown opcode|invalid call insn|program must be at least/,
    explanation:
      'The compiled program is broken where it calls a function: it calls a function that ' +
      'has no body in this file, such as a C library function (strncmp, strlen, memcmp, ' +
      'printf...). A BPF program runs in the kernel, where there is no C library: write the ' +
      'loop yourself, or use a bpf_ helper.',
    refine: (context) => {
      const call = findLibraryCalls(context.source)[0];
      return call === undefined ? undefined : describeLibraryCall(call);
    },
    locate: (source) => findLibraryCalls(source)[0]?.line,
  },
  {
    id: 'gpl',
    pattern: /\bGPL\b/,
    explanation:
      'The program calls a kernel helper that only GPL-compatible programs may use, but its ' +
      'license is not GPL-compatible. BCC uses GPL unless the source says otherwise: remove ' +
      'your `#define BPF_LICENSE ...` or set it to GPL.',
  },
  {
    id: 'missing-return',
    pattern: /\bR0 !read_ok/,
    explanation:
      'The function can finish without returning a value. Every path through a probe ' +
      'function must end with a return, e.g. `return 0;`.',
  },
  {
    id: 'uninitialized-register',
    pattern: /\bR\d+ !read_ok/,
    explanation:
      'The program uses a value that was never set. This usually means a helper function ' +
      'was called with too few arguments, or a variable was used before it was assigned.',
  },
  {
    id: 'null-check',
    pattern: /or_null/,
    explanation:
      'A pointer that may be NULL is used without checking it first. A map lookup ' +
      '(`bpf_map_lookup_elem()` or `map.lookup()`) returns NULL when the key is missing: ' +
      'add `if (!value) return 0;` before using the result.',
  },
  {
    id: 'modified-ctx',
    pattern: /dereference of modified ctx ptr/,
    explanation:
      'The program did arithmetic on the context pointer (`ctx`) and then read through the ' +
      'result. Read fields straight from `ctx` (e.g. `PT_REGS_PARM1(ctx)` or `args->field`) ' +
      'instead of through a pointer computed from it.',
  },
  {
    id: 'ctx-access',
    pattern: /invalid bpf_context access/,
    explanation:
      'The program reads or writes a part of its context (`ctx`) that this kind of probe may ' +
      'not touch. Use the accessors for the probe type, e.g. `PT_REGS_PARM1(ctx)` in a ' +
      'kprobe or `args->field` in a tracepoint, and do not write to `ctx`.',
  },
  {
    id: 'scalar-deref',
    pattern: /invalid mem access '(?:scalar|inv)'/,
    explanation:
      'The program reads through something the verifier only knows as a plain number, not ' +
      'as a pointer it may read. The usual causes, which the log cannot tell apart: a pointer ' +
      'that is 0 (NULL) on some path, a pointer to a string literal or global variable (BCC ' +
      'does not load those, so it is 0: use `char s[] = "...";` on the stack), or a kernel or ' +
      'user pointer read directly (copy it first with `bpf_probe_read_kernel()` or ' +
      '`bpf_probe_read_user()`).',
    refine: explainScalarAccess,
  },
  {
    id: 'variable-stack-offset',
    pattern:
      /(?<!unbounded )variable-offset|variable stack access|math between fp pointer and register with unbounded/,
    explanation:
      'The program indexes a local array (on the stack) with a value known only at run time. ' +
      'The verifier must know every stack offset: clamp the index first (`if (i >= ' +
      'sizeof(buf)) return 0;` or `i &= 15;` for a 16-byte array), or keep the data in a map ' +
      'value, where a checked variable index is allowed.',
  },
  {
    id: 'stack-too-big',
    pattern:
      /invalid (?:write to|read from|indirect access to) stack R10 off=-5[1-9]\d|invalid stack off=-\d+|stack depth \d+|combined stack size/,
    explanation:
      'The program and the functions it calls use more than 512 bytes of stack (local ' +
      'variables) together. Use smaller local variables, or keep large buffers in a per-CPU ' +
      'array map (`BPF_PERCPU_ARRAY`) and work on the value a lookup returns.',
  },
  {
    id: 'uninitialized-stack',
    pattern: /invalid (?:indirect )?read from stack|invalid indirect access to stack/,
    explanation:
      'The program reads stack memory that was never written, such as a local variable or ' +
      'struct that was not initialized before being read or passed to a helper. Initialize ' +
      'it first, e.g. `struct data_t data = {};` or `char buf[16] = {};`.',
  },
  {
    id: 'size-argument',
    pattern:
      /invalid zero-sized read|min value is negative, either use unsigned|unbounded memory access, use 'var &= const'/,
    explanation:
      'A helper got a size that may be 0, negative or larger than the buffer. Give it a ' +
      'constant such as `sizeof(buf)`, or clamp a computed size first (`if (len > ' +
      'sizeof(buf)) len = sizeof(buf);`) and make it unsigned.',
  },
  {
    id: 'out-of-bounds',
    pattern:
      /outside of the allowed memory range|invalid access to (?:map value|packet|memory)|unbounded\b.*\b(?:access|value)|out of bounds|variable-offset (?:read|write)/,
    explanation:
      'The program may read or write outside the memory it is allowed to touch, e.g. past ' +
      'the end of a map value, buffer or packet, or at an index the verifier cannot bound. ' +
      'Check the offset or index against the size first (e.g. `if (i >= MAX) return 0;`) ' +
      'so the verifier can see it is in range.',
  },
  {
    id: 'loop',
    pattern:
      /back-edge from insn|infinite loop detected|unbounded|BPF program is too large|The sequence of \d+ jumps is too complex|too many states|loop is not bounded/,
    explanation:
      'The verifier could not prove that the program finishes: a loop whose end it cannot ' +
      'see, or too many branches to check in time (it walks at most a million instructions). ' +
      'Give every loop a small constant bound (e.g. `for (int i = 0; i < 16; i++)`) rather ' +
      'than one read at run time.',
  },
  {
    id: 'call-depth',
    pattern: /call stack of \d+ frames is too deep|recursive call|the call stack/,
    explanation:
      'Functions call each other too deeply, or one calls itself. BPF allows no recursion ' +
      'and at most 8 nested calls: mark small helpers `static __always_inline` and turn ' +
      'recursion into a bounded loop.',
  },
  {
    id: 'helper-not-allowed',
    pattern:
      /unknown func|cannot use helper|helper call is not allowed|program of this type cannot use helper|is not allowed in this program type/,
    explanation:
      'The program calls a kernel helper function that this kind of probe may not use, or ' +
      'that this kernel does not have. Use a helper allowed for kprobes and tracepoints ' +
      '(e.g. bpf_probe_read_kernel, bpf_get_current_pid_tgid, bpf_ktime_get_ns), or attach ' +
      'the program where that helper is allowed.',
  },
  {
    id: 'misaligned',
    pattern: /misaligned/,
    explanation:
      'The program reads or writes a value at an address that is not a multiple of its size ' +
      '(e.g. a u64 at an offset that is not a multiple of 8). Reorder or pad struct fields so ' +
      'each starts at a multiple of its size, or copy with `__builtin_memcpy`.',
  },
  {
    id: 'pointer-arithmetic',
    pattern: /pointer arithmetic|on pointer prohibited|pointer comparison prohibited/,
    explanation:
      'The program does arithmetic or bitwise operations on a pointer in a way the verifier ' +
      'does not allow. Index arrays with a checked offset (`buf[i]` after `if (i < N)`) ' +
      'rather than computing addresses yourself.',
  },
  {
    id: 'leaks-address',
    pattern: /leaks addr/,
    explanation:
      'The program stores a kernel address in a map or sends it to user space, which the ' +
      'verifier forbids. Store the value it points to (read with bpf_probe_read_kernel()), ' +
      'or a number derived from it, instead of the pointer.',
  },
  {
    id: 'unreleased-reference',
    pattern: /Unreleased reference/,
    explanation:
      'The program reserved something it must give back on every path, such as ring buffer ' +
      'space from `reserve()`: call `submit()` or `discard()` before each return.',
  },
  {
    id: 'argument-type',
    pattern:
      /\btype=\w+ expected=|expected pointer to|arg#\d+ (?:type|expected)|R\d+ is not a pointer/,
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

function findCause(text: string): Cause | undefined {
  return VERIFIER_CAUSES.find((cause) => cause.pattern.test(text));
}

/** How register `rN` got its value: the last instruction before `before` that set it. */
function registerOrigin(lines: string[], before: number, register: string): string | undefined {
  const assign = new RegExp(`^\\d+: (\\([0-9a-f]{2}\\) r${register} = [^;]*?)\\s*(?:;|$)`);
  for (let i = before - 1; i >= 0; i--) {
    const match = assign.exec(lines[i] ?? '');
    if (match) return match[1];
  }
  return undefined;
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
  let cause = findCause(summary);
  let causeLine = summary;
  for (let i = errorIndex - 1; cause === undefined && i >= 0; i--) {
    const line = lines[i] ?? '';
    if (TRACE_LINE.test(line)) break;
    if (isMessage(line)) {
      cause = findCause(line);
      causeLine = line;
    }
  }

  const report: VerifierReport = { summary, explanation: FALLBACK_EXPLANATION };
  const found = findSourceLine(lines, errorIndex >= 0 ? errorIndex : end, source);
  if (found !== undefined) {
    report.line = found.line;
    report.sourceText = found.text;
  } else {
    const line = cause?.locate?.(source);
    const text = line === undefined ? undefined : source.split(/\r?\n/)[line - 1]?.trim();
    if (line !== undefined && text !== undefined) {
      report.line = line;
      report.sourceText = text;
    }
  }
  if (cause !== undefined) {
    const register = /^R(\d+) /.exec(causeLine)?.[1];
    const context: CauseContext = { summary: causeLine, source };
    const origin = register === undefined ? undefined : registerOrigin(lines, errorIndex, register);
    if (origin !== undefined) context.registerOrigin = origin;
    if (report.sourceText !== undefined) context.sourceText = report.sourceText;
    report.explanation = cause.refine?.(context) ?? cause.explanation;
  }
  return report;
}

// The verifier prints `; <source text>` (left-trimmed) whenever the source line changes; Linux
// 6.12 appends ` @ <file>:<line>`, where file and line are BCC's rewritten source, not the
// learner's. The last one before the error is the line being checked when it failed.
const LINE_INFO_FILE = / @ [^ ]+:\d+$/;

/**
 * The verifier log as the learner reads it: each ` @ main.c:19` (a line of BCC's rewritten
 * source, which the learner never sees: lesson 7's `*count += 1;` is their line 7) becomes
 * ` @ line 7` where the quoted text is exactly one line of theirs, and is dropped elsewhere
 * (text BCC rewrote, or a line written twice) rather than point at the wrong line.
 */
export function withLearnerLines(log: string, source: string): string {
  const linesOf = new Map<string, number[]>();
  source.split(/\r?\n/).forEach((line, index) => {
    const text = line.trim();
    linesOf.set(text, [...(linesOf.get(text) ?? []), index + 1]);
  });
  return log.replace(/^(; .*?) @ [^ \n]+:\d+$/gm, (_, quoted: string) => {
    const found = linesOf.get(quoted.slice(2).trim());
    return found?.length === 1 ? `${quoted} @ line ${found[0]}` : quoted;
  });
}

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
