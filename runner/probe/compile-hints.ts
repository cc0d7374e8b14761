/**
 * Plain-words causes for what clang, LLVM's BPF back end and BCC print when a probe does not
 * compile, and the learner's line for back-end errors that carry none (`in function NAME`).
 * Clang's own message stays as it is; the hint says why it happens in a BPF program and what to
 * write instead.
 */
import { describeLibraryCall, findLibraryCalls } from './c-library.js';
import type { SourceDiagnostic } from './diagnostics.js';

export interface CompileHint {
  id: string;
  pattern: RegExp;
  explanation: string;
  /** A sharper explanation from the message's captures and the source, when there is one. */
  refine?: (match: RegExpExecArray, source: string) => string | undefined;
}

function libraryCallHint(match: RegExpExecArray, source: string): string | undefined {
  const name = match.slice(1).find((group) => group !== undefined) ?? '';
  // clang turns memcmp into bcmp when only equality matters: the learner wrote memcmp.
  const wanted = name === 'bcmp' ? ['bcmp', 'memcmp'] : [name];
  const call = findLibraryCalls(source).find((c) => wanted.includes(c.name));
  return call === undefined ? undefined : describeLibraryCall(call);
}

/** Headers of the C library (not of the kernel), which a learner may reach for by habit. */
const C_LIBRARY_HEADERS = [
  'stdio',
  'stdlib',
  'string',
  'strings',
  'unistd',
  'fcntl',
  'time',
  'math',
  'signal',
  'pthread',
  'ctype',
  'assert',
  'errno',
  'malloc',
  'types',
  'stat',
  'socket',
];

export const COMPILE_HINTS: readonly CompileHint[] = [
  {
    id: 'stack-limit',
    pattern: /stack limit of \d+ bytes is exceeded|stack limit is exceeded/,
    explanation:
      'A BPF program has only 512 bytes of stack for all its local variables, and this ' +
      "function's locals need more (a `char buf[1024]` alone is twice that). Use a smaller " +
      'buffer (e.g. 256 bytes), or keep the big one in a per-CPU array map: ' +
      '`BPF_PERCPU_ARRAY(bufs, struct big_t, 1);` then `u32 zero = 0; struct big_t *b = ' +
      'bufs.lookup(&zero); if (!b) return 0;` and work on `b`.',
  },
  {
    id: 'c-library-call',
    pattern:
      /call to undeclared (?:library )?function '(\w+)'|implicit(?:ly)? declar\w* (?:of )?(?:library )?function '(\w+)'|call to built-in function '(\w+)' is not supported/,
    explanation:
      'The program calls a function that has no body in this file. A BPF program can call ' +
      'only bpf_ helpers and functions defined in the same file; there is no C library in ' +
      'the kernel. Define the function yourself (as `static __always_inline`), or use a ' +
      'bpf_ helper.',
    refine: libraryCallHint,
  },
  {
    id: 'c-library-header',
    pattern: new RegExp(
      `'((?:sys/)?(?:${C_LIBRARY_HEADERS.join('|')})\\.h)' file not found|` +
        'include the header <([\\w/]+\\.h)> or explicitly provide a declaration',
    ),
    explanation: 'That header is part of the C library, which a BPF program does not have.',
    refine: (match) => {
      const header = match[1] ?? match[2] ?? '';
      return (
        `<${header}> is part of the C library, and a BPF program has none: it runs inside the ` +
        'kernel, where there is no printf, malloc or file I/O, so there is no such header to ' +
        'include. Remove the #include. To print, use `bpf_trace_printk("...\\n")`; u32, u64 ' +
        'and the like need no header, and kernel definitions come from kernel headers such as ' +
        '`<linux/sched.h>`.'
      );
    },
  },
  {
    id: 'variable-length-array',
    pattern: /Unsupported dynamic stack allocation|variable length array/,
    explanation:
      'The size of a local array must be a constant: BPF programs have a fixed-size stack. ' +
      'Give the array a constant size, e.g. `char buf[64];`.',
  },
  {
    id: 'too-many-arguments',
    pattern: /too many arg|only supports in-register parameters|defined with too many args/,
    explanation:
      'BPF functions take at most 5 arguments, all in registers (a probe function: `ctx` ' +
      'and 5 more). Pass a pointer to a struct instead of many values.',
  },
  {
    id: 'struct-by-value',
    pattern: /aggregate returns are not supported|pass by value not supported/,
    explanation:
      'BPF functions cannot take or return a struct by value. Pass a pointer to it instead.',
  },
  {
    id: 'signed-division',
    pattern: /unsupported signed division/,
    explanation:
      'This BPF target has no signed division. Make the operands unsigned (e.g. `u64`), or ' +
      'divide their absolute values.',
  },
  {
    id: 'non-static-helper',
    pattern: /cannot call non-static helper function/,
    explanation:
      'A function that a probe calls must be `static` (BCC loads only non-static functions as ' +
      'separate programs). Write `static __always_inline int helper(...)`.',
  },
  {
    id: 'tracepoint-field',
    pattern: /no member named '(\w+)' in 'struct tracepoint__(\w+)__(\w+)'/,
    explanation:
      'In a TRACEPOINT_PROBE, `args` has exactly the fields the kernel lists for that ' +
      'tracepoint (see the note below, or /sys/kernel/debug/tracing/events/CATEGORY/EVENT/' +
      'format in the sandbox shell); their names differ from the syscall manual page.',
    refine: (match) =>
      `In a TRACEPOINT_PROBE, \`args\` has exactly the fields the kernel lists for ` +
      `${match[2]}:${match[3]} (see the note below, or cat /sys/kernel/debug/tracing/events/` +
      `${match[2]}/${match[3]}/format in the sandbox shell); \`${match[1]}\` is not one of them.`,
  },
  {
    id: 'missing-header',
    pattern: /use of undeclared identifier '(TASK_COMM_LEN|PF_KTHREAD|BPF_ANY|NAME_MAX)'/,
    explanation: 'This name comes from a kernel header the program does not include.',
    refine: (match) => {
      const headers: Record<string, string> = {
        TASK_COMM_LEN: 'linux/sched.h',
        PF_KTHREAD: 'linux/sched.h',
        NAME_MAX: 'uapi/linux/limits.h',
        BPF_ANY: 'uapi/linux/bpf.h',
      };
      return `${match[1]} is defined in a kernel header: add \`#include <${headers[match[1] ?? '']}>\` at the top.`;
    },
  },
];

/** The hint for one compiler message, if a rule knows it. */
export function compileHint(message: string, source: string): string | undefined {
  for (const hint of COMPILE_HINTS) {
    const match = hint.pattern.exec(message);
    if (match) return hint.refine?.(match, source) ?? hint.explanation;
  }
  return undefined;
}

// LLVM's back end reports `[FILE:0:0: ]in function NAME TYPE: MESSAGE`, TYPE being IR such as
// `i32 (%struct.pt_regs*)` or `i32 (ptr, i32, ptr)`.
const BACKEND = /^(?:\S+:\d+:\d+: )?in function (\w+) [^:]*?\): (.*)$/s;

/** The 1-based line where function `name` is defined in `source`. */
export function functionLine(source: string, name: string): number | undefined {
  const lines = source.split(/\r?\n/);
  const definition = new RegExp(`\\b${name}\\s*\\(`);
  const index = lines.findIndex((line) => definition.test(line) && !/;\s*$/.test(line));
  return index < 0 ? undefined : index + 1;
}

/**
 * Positions back-end errors at the function they name, drops the IR type noise, and adds the
 * plain-words hint to every diagnostic a rule knows.
 */
export function explainDiagnostics(
  diagnostics: SourceDiagnostic[],
  source: string,
): SourceDiagnostic[] {
  return diagnostics.map((d) => {
    const out: SourceDiagnostic = { ...d };
    const backend = d.file === undefined ? BACKEND.exec(d.message) : null;
    if (backend) {
      const [, name = '', message = ''] = backend;
      out.message = `in function ${name}: ${message.trim()}`;
      const line = functionLine(source, name);
      if (line !== undefined) {
        out.line = line;
        out.column = 1;
      }
    }
    const hint = compileHint(out.message, source);
    if (hint !== undefined) out.hint = hint;
    return out;
  });
}
