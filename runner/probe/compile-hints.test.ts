/**
 * Compiler errors as a learner's errors: LLVM back-end errors positioned at their function,
 * TRACEPOINT_PROBE errors at the learner's line (BCC inserts the args struct above it), and a
 * plain-words hint for each kind a rule knows. Logs as BCC 0.26 (clang 14) and clang 19 print.
 */
import { describe, expect, it } from 'vitest';
import { STACK_SOURCE } from '../../test/fixtures/issue10-examples.js';
import { COMPILE_HINTS, compileHint, explainDiagnostics, functionLine } from './compile-hints.js';
import { BCC_MAIN_FILE, parseClangDiagnostics } from './diagnostics.js';

function diagnose(log: string, source: string) {
  return explainDiagnostics(parseClangDiagnostics(log, BCC_MAIN_FILE, source), source);
}

describe('LLVM back-end errors (issue 10, A)', () => {
  it.each([
    // BCC 0.26, LLVM 14 (measured in the bookworm sandbox).
    'error: /virtual/main.c:0:0: in function trace_open i32 (%struct.pt_regs*): Looks like the BPF stack limit of 512 bytes is exceeded. Please move large on stack variables into BPF per-cpu array map.\n',
    // LLVM 19 wording.
    'error: <unknown>:0:0: in function trace_open i32 (ptr): Looks like the BPF stack limit is exceeded. Please move large on stack variables into BPF per-cpu array map. For non-kernel uses, the stack can be increased using -mllvm -bpf-stack-size.\n',
  ])('puts the stack limit at the function, keeps the message and explains it', (log) => {
    const [d] = diagnose(log, STACK_SOURCE);
    expect(d).toMatchObject({ line: 2, column: 1, severity: 'error' });
    expect(d?.message).toMatch(/^in function trace_open: Looks like the BPF stack limit/);
    expect(d?.hint).toContain('512 bytes');
    expect(d?.hint).toContain('BPF_PERCPU_ARRAY');
  });

  it('names the C library function behind a built-in call error', () => {
    const source =
      'int f(void *ctx) {\n  char a[4] = {}, b[4] = {};\n  return memcmp(a, b, 4);\n}\n';
    const [d] = diagnose(
      "error: /virtual/main.c:0:0: in function f i32 (i8*): A call to built-in function 'bcmp' is not supported.\n",
      source,
    );
    expect(d?.line).toBe(1);
    expect(d?.hint).toContain('`memcmp` (line 3) is a C library function');
  });

  it.each([
    ['too many args to function', 'too-many-arguments'],
    ['Unsupported dynamic stack allocation', 'variable-length-array'],
    ['aggregate returns are not supported', 'struct-by-value'],
    ['unsupported signed division, please convert to unsigned div/mod.', 'signed-division'],
  ])('explains %j', (message, id) => {
    expect(COMPILE_HINTS.find((h) => h.pattern.test(message))?.id).toBe(id);
    expect(compileHint(message, '')).toBeDefined();
  });
});

describe('clang errors', () => {
  it('explains an undeclared C library function (clang 19 makes it an error)', () => {
    const source =
      '#include <linux/sched.h>\nint f(void *ctx) {\n  char n[16];\n  return strlen(n);\n}\n';
    const [d] = diagnose(
      "/virtual/main.c:4:10: error: call to undeclared library function 'strlen' with type 'unsigned long (const char *)'; ISO C99 and later do not support implicit function declarations [-Wimplicit-function-declaration]\n    4 |   return strlen(n);\n      |          ^\n",
      source,
    );
    expect(d).toMatchObject({ line: 4, column: 10 });
    expect(d?.hint).toContain('`strlen` (line 4) is a C library function');
  });

  it("answers clang's advice to include a C library header, and the header's absence", () => {
    // clang 19 follows a call to printf with "include the header <stdio.h>": a learner who
    // does so gets "'stdio.h' file not found". Both say why there is no such header here.
    const source = '#include <stdio.h>\nint f(void *ctx) {\n  printf("hi\\n");\n  return 0;\n}\n';
    const log = [
      "/virtual/main.c:3:3: error: call to undeclared library function 'printf' with type 'int (const char *, ...)'; ISO C99 and later do not support implicit function declarations [-Wimplicit-function-declaration]",
      "/virtual/main.c:3:3: note: include the header <stdio.h> or explicitly provide a declaration for 'printf'",
      "/virtual/main.c:1:10: fatal error: 'stdio.h' file not found",
    ].join('\n');
    const [call, advice, missing] = diagnose(log, source);
    expect(call?.hint).toContain('`printf` (line 3) is a C library function');
    for (const d of [advice, missing]) {
      expect(d?.hint).toContain('<stdio.h> is part of the C library');
      expect(d?.hint).toContain('bpf_trace_printk');
    }
    for (const header of ['stdlib.h', 'string.h', 'sys/socket.h', 'unistd.h']) {
      expect(compileHint(`'${header}' file not found`, '')).toContain(`<${header}> is part of`);
    }
    // A kernel header that is missing is another matter (a typo, a header of another kernel).
    expect(compileHint("'linux/sched2.h' file not found", '')).toBeUndefined();
  });

  it('names the header of a well-known kernel constant', () => {
    expect(compileHint("use of undeclared identifier 'TASK_COMM_LEN'", '')).toContain(
      '#include <linux/sched.h>',
    );
  });

  it('leaves messages no rule knows without a hint', () => {
    const [d] = diagnose("/virtual/main.c:2:5: error: expected ';' after expression\n", 'a\nb\n');
    expect(d?.hint).toBeUndefined();
  });
});

const TP_SOURCE = `TRACEPOINT_PROBE(syscalls, sys_enter_unlinkat) {
    char name[64] = {};
    bpf_probe_read_user_str(name, sizeof(name), args->filename);
    bpf_trace_printk("deleting %s\\n", name);
    return 0;
}
`;

describe('TRACEPOINT_PROBE errors (issue 10, E)', () => {
  // As measured in the bookworm sandbox, with the worker's note of the real fields.
  const log = `/virtual/main.c:14:55: error: no member named 'filename' in 'struct tracepoint__syscalls__sys_enter_unlinkat'
    bpf_probe_read_user_str(name, sizeof(name), args->filename);
                                                ~~~~  ^
/virtual/main.c:14:55: note: syscalls:sys_enter_unlinkat has the fields: int __syscall_nr, int dfd, const char * pathname, int flag
1 error generated.
`;

  it("puts the error on the learner's line, not BCC's", () => {
    const [error, note] = diagnose(log, TP_SOURCE);
    expect(error).toMatchObject({ line: 3, column: 55, severity: 'error' });
    expect(error?.hint).toContain('sys_enter_unlinkat');
    expect(error?.hint).toContain('`filename` is not one of them');
    expect(note).toMatchObject({ line: 3, severity: 'note' });
    expect(note?.message).toContain('const char * pathname');
  });

  it('reads the excerpt behind clang 19 gutters too', () => {
    const clang19 = `/virtual/main.c:14:55: error: no member named 'filename' in 'struct tracepoint__syscalls__sys_enter_unlinkat'
   14 |     bpf_probe_read_user_str(name, sizeof(name), args->filename);
      |                                                 ~~~~  ^
/virtual/main.c:15:5: warning: something else
   15 |     bpf_trace_printk("deleting %s\\n", name);
      |     ^
`;
    const [error, warning] = diagnose(clang19, TP_SOURCE);
    expect(error?.line).toBe(3);
    expect(warning?.line).toBe(4);
  });

  it('keeps lines that already match the source', () => {
    const [d] = diagnose(
      "/virtual/main.c:2:20: error: expected ';'\n    char name[64] = {}\n                   ^\n",
      TP_SOURCE,
    );
    expect(d?.line).toBe(2);
  });
});

describe('functionLine', () => {
  it('finds the definition, not a declaration or a call', () => {
    const source =
      'static int helper(int x);\nint probe(void *ctx) {\n  return helper(1);\n}\nstatic int helper(int x) {\n  return x;\n}\n';
    expect(functionLine(source, 'probe')).toBe(2);
    expect(functionLine(source, 'missing')).toBeUndefined();
  });
});
