/**
 * C library functions in a learner's probe. A BPF program runs inside the kernel, where there is
 * no C library: a call to `strncmp` compiles (the kernel headers even declare it) but has
 * nothing to link to, and BCC, clang or the verifier then fail with messages that never name it
 * (`last insn is not an exit or jmp`, `A call to built-in function 'bcmp' is not supported`).
 * Finding the call in the source lets every one of those messages name the function and its line.
 */

/** What to write instead, in words a beginner can act on. */
const INSTEAD: Record<string, string> = {
  strcmp: 'compare the characters yourself in a loop with a constant bound',
  strncmp: 'compare the characters yourself in a loop with a constant bound',
  memcmp: 'compare the bytes yourself in a loop with a constant bound',
  bcmp: 'compare the bytes yourself in a loop with a constant bound',
  strlen:
    'use the length bpf_probe_read_user_str() returns, or count in a loop with a constant bound',
  strnlen:
    'use the length bpf_probe_read_user_str() returns, or count in a loop with a constant bound',
  strcpy: 'copy with bpf_probe_read_kernel_str() (or __builtin_memcpy with a constant size)',
  strncpy: 'copy with bpf_probe_read_kernel_str() (or __builtin_memcpy with a constant size)',
  strcat: 'build the text in a fixed-size char array, one character at a time',
  strncat: 'build the text in a fixed-size char array, one character at a time',
  strstr: 'compare the characters yourself in a loop with a constant bound',
  strchr: 'look for the character in a loop with a constant bound',
  strrchr: 'look for the character in a loop with a constant bound',
  printf: 'use bpf_trace_printk() (at most 3 values)',
  sprintf:
    'use bpf_trace_printk() to print, or fill a struct and send it with a perf or ring buffer',
  snprintf:
    'use bpf_trace_printk() to print, or fill a struct and send it with a perf or ring buffer',
  puts: 'use bpf_trace_printk()',
  malloc: 'use a fixed-size local variable, or a per-CPU array map for large buffers',
  calloc: 'use a fixed-size local variable, or a per-CPU array map for large buffers',
  free: 'nothing: there is no heap, so there is nothing to free',
  atoi: 'parse the digits yourself in a loop with a constant bound',
  strtol: 'parse the digits yourself in a loop with a constant bound',
  strtoul: 'parse the digits yourself in a loop with a constant bound',
  abs: 'write the comparison out: (x < 0 ? -x : x)',
  rand: 'bpf_get_prandom_u32()',
  time: 'bpf_ktime_get_ns()',
  sleep: 'nothing: a probe must finish quickly and cannot wait',
  usleep: 'nothing: a probe must finish quickly and cannot wait',
  getpid: 'bpf_get_current_pid_tgid() >> 32',
  tolower: "write the comparison out: (c >= 'A' && c <= 'Z' ? c + 32 : c)",
  toupper: "write the comparison out: (c >= 'a' && c <= 'z' ? c - 32 : c)",
};

export const C_LIBRARY_FUNCTIONS: readonly string[] = Object.keys(INSTEAD);

export interface LibraryCall {
  name: string;
  /** 1-based line in the learner's source. */
  line: number;
  /** 1-based column of the name. */
  column: number;
}

/** Blanks out comments and string/char literals, keeping every offset and line break. */
function codeOnly(source: string): string {
  return source.replace(
    /\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g,
    (text) => text.replace(/[^\n]/g, ' '),
  );
}

/** Every call to a C library function in `source`, in order. */
export function findLibraryCalls(source: string): LibraryCall[] {
  const code = codeOnly(source);
  const calls: LibraryCall[] = [];
  const lineStarts = [0];
  for (let i = 0; i < code.length; i++) if (code[i] === '\n') lineStarts.push(i + 1);
  // A name followed by `(`, not part of a longer name and not a member (`x.strlen(`).
  for (const match of code.matchAll(/(?<![\w.>])([A-Za-z_]\w*)\s*\(/g)) {
    const name = match[1] ?? '';
    if (!Object.hasOwn(INSTEAD, name)) continue;
    const at = match.index ?? 0;
    let line = lineStarts.length - 1;
    while ((lineStarts[line] ?? 0) > at) line--;
    calls.push({ name, line: line + 1, column: at - (lineStarts[line] ?? 0) + 1 });
  }
  return calls;
}

/** `strncmp (line 5)` — why it fails and what to use instead, as one sentence. */
export function describeLibraryCall(call: LibraryCall): string {
  return (
    `\`${call.name}\` (line ${call.line}) is a C library function, and a BPF program runs in the ` +
    `kernel, where there is no C library to call. Instead: ${INSTEAD[call.name]}.`
  );
}
