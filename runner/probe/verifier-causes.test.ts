/**
 * The verifier's messages a beginner meets, each with a plain-words cause: the issue-10
 * examples (a string literal pointer, a C library call) from real 6.1 logs, and a table of the
 * rules and the messages they cover, counted so the generic text stays the exception.
 */
import { describe, expect, it } from 'vitest';
import { LITERAL_SOURCE } from '../../test/fixtures/issue10-examples.js';
import { explainVerifierLog, FALLBACK_EXPLANATION, VERIFIER_CAUSES } from './verifier.js';

const STATS =
  'processed 26 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 1';

const LITERAL_LOG = `bpf: Failed to load program: Permission denied
0: R1=ctx(off=0,imm=0) R10=fp0
; int dfd = (int)ctx->di; const char __user *filename = (const char *)ctx->si;
0: (79) r3 = *(u64 *)(r1 +104)        ; R1=ctx(off=0,imm=0) R3_w=scalar()
1: (b7) r6 = 0                        ; R6_w=0
; char buf[32] = {};
2: (7b) *(u64 *)(r10 -8) = r6         ; R6_w=0 R10=fp0 fp-8_w=00000000
; int len = bpf_probe_read_user_str(buf, sizeof(buf), filename);
8: (b7) r2 = 32                       ; R2_w=32
9: (85) call bpf_probe_read_user_str#114      ; R0_w=scalar(smin=-4095,smax=32)
; for (int i = 0; i < len && i < sizeof(buf); i++) {
13: (6d) if r1 s> r0 goto pc+20       ; R0_w=scalar(umin=1,umax=32,var_off=(0x0; 0x3f)) R1_w=1
20: (18) r1 = 0x0                     ; R1_w=0
22: (bf) r2 = r10                     ; R2_w=fp0 R10=fp0
25: (05) goto pc+4
; if (buf[i] != wanted[i])
30: (71) r3 = *(u8 *)(r1 +0)
R1 invalid mem access 'scalar'
${STATS}
`;

// Issue 10, kind D: strncmp compiles to a call with nowhere to go; nothing is verified.
const STRNCMP_SOURCE = `#include <linux/sched.h>
int only_cat(void *ctx) {
    char name[TASK_COMM_LEN] = {};
    bpf_get_current_comm(&name, sizeof(name));
    if (strncmp(name, "cat", 3) == 0) {
        bpf_trace_printk("cat opened a file\\n");
    }
    return 0;
}
`;
const STRNCMP_LOG = `bpf: Failed to load program: Invalid argument
last insn is not an exit or jmp
processed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`;

describe('a string literal pointer (issue 10, C)', () => {
  it('names the literal and the array fix, not bpf_probe_read_kernel', () => {
    const report = explainVerifierLog(LITERAL_LOG, LITERAL_SOURCE);
    expect(report.line).toBe(7);
    expect(report.explanation).toContain('string literal');
    expect(report.explanation).toContain('`char wanted[] = "...";`');
    expect(report.explanation).not.toContain('bpf_probe_read_kernel');
  });

  it('does not advise a copy the line already makes, and says both causes when unsure', () => {
    const source = 'int f(void *ctx) {\n  bpf_probe_read_kernel(&x, sizeof(x), p->next);\n}\n';
    const copying = explainVerifierLog(
      `; bpf_probe_read_kernel(&x, sizeof(x), p->next);\n5: (79) r3 = *(u64 *)(r6 +8)\nR6 invalid mem access 'scalar'\n${STATS}\n`,
      source,
    );
    expect(copying.explanation).toContain('already copies');
    const unsure = explainVerifierLog(
      `5: (79) r3 = *(u64 *)(r6 +8)\nR6 invalid mem access 'scalar'\n`,
      '',
    );
    expect(unsure.explanation).toMatch(/0 \(NULL\).*string literal.*bpf_probe_read_kernel/s);
  });
});

describe('a C library call (issue 10, D)', () => {
  it('names strncmp and its line though the log has no line info', () => {
    const report = explainVerifierLog(STRNCMP_LOG, STRNCMP_SOURCE);
    expect(report.summary).toBe('last insn is not an exit or jmp');
    expect(report.line).toBe(5);
    expect(report.sourceText).toBe('if (strncmp(name, "cat", 3) == 0) {');
    expect(report.explanation).toContain('`strncmp` (line 5) is a C library function');
    expect(report.explanation).toContain('loop');
  });

  it.each([
    ['strlen', 'int f(void *ctx) {\n  char s[8] = {};\n  return strlen(s);\n}\n', 3],
    ['memcmp', 'int f(void *ctx) {\n  char a[4], b[4];\n\n  return memcmp(a, b, 4);\n}\n', 4],
    [
      'printf',
      '// printf("no") in a comment does not count\nint f(void *ctx) {\n  printf("x");\n  return 0;\n}\n',
      3,
    ],
  ])('finds %s', (name, source, line) => {
    const report = explainVerifierLog(STRNCMP_LOG, source);
    expect(report.line).toBe(line);
    expect(report.explanation).toContain(`\`${name}\``);
  });
});

// Real kernel wording (6.1 and 6.12) for each rule: [message, rule id].
const MESSAGES: [string, string][] = [
  ['last insn is not an exit or jmp', 'c-library-call'],
  ['jump out of range from insn 5 to 42', 'c-library-call'],
  ['invalid func unknown#195896080', 'c-library-call'],
  ['unknown opcode 8d', 'c-library-call'],
  ['cannot call GPL-restricted function from non-GPL compatible program', 'gpl'],
  ['R0 !read_ok', 'missing-return'],
  ['R2 !read_ok', 'uninitialized-register'],
  ["R0 invalid mem access 'map_value_or_null'", 'null-check'],
  ["R1 invalid mem access 'ptr_or_null_'", 'null-check'],
  ['dereference of modified ctx ptr R1 off=8 disallowed', 'modified-ctx'],
  ['invalid bpf_context access off=200 size=8', 'ctx-access'],
  ["R1 invalid mem access 'scalar'", 'scalar-deref'],
  ["R2 invalid mem access 'inv'", 'scalar-deref'],
  [
    'invalid variable-offset indirect access to stack R1 var_off=(0x0; 0x1f) size=1',
    'variable-stack-offset',
  ],
  [
    'invalid variable-offset read from stack R2 var_off=(0x0; 0xff) off=-64 size=1',
    'variable-stack-offset',
  ],
  [
    'math between fp pointer and register with unbounded min value is not allowed',
    'variable-stack-offset',
  ],
  ['invalid write to stack R10 off=-520 size=8', 'stack-too-big'],
  ['combined stack size of 2 calls is 576. Too large', 'stack-too-big'],
  ['invalid indirect read from stack R2 off -16+0 size 16', 'uninitialized-stack'],
  ['invalid read from stack off -16+0 size 8', 'uninitialized-stack'],
  ['R2 invalid zero-sized read', 'size-argument'],
  ["R2 min value is negative, either use unsigned or 'var &= const'", 'size-argument'],
  ["R2 unbounded memory access, use 'var &= const' or 'if (var < const)'", 'size-argument'],
  ['R1 unbounded memory access, make sure to bounds check any such access', 'out-of-bounds'],
  ['invalid access to map value, value_size=8 off=8 size=8', 'out-of-bounds'],
  ['R0 min value is outside of the allowed memory range', 'out-of-bounds'],
  ['back-edge from insn 12 to 5', 'loop'],
  ['infinite loop detected at insn 7', 'loop'],
  ['BPF program is too large. Processed 1000001 insn', 'loop'],
  ['The sequence of 8193 jumps is too complex.', 'loop'],
  ['the call stack of 9 frames is too deep !', 'call-depth'],
  ['program of this type cannot use helper bpf_skb_load_bytes#26', 'helper-not-allowed'],
  ['unknown func bpf_override_return#58', 'helper-not-allowed'],
  ['misaligned stack access off (0x0; 0x0)+-12+0 size 8', 'misaligned'],
  ['misaligned value access off (0x0; 0x0)+2 size 8', 'misaligned'],
  ['R1 pointer arithmetic on map_ptr prohibited', 'pointer-arithmetic'],
  ['R1 bitwise operator &= on pointer prohibited', 'pointer-arithmetic'],
  ['R3 leaks addr into map', 'leaks-address'],
  ['Unreleased reference id=2 alloc_insn=7', 'unreleased-reference'],
  ['R1 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem', 'argument-type'],
];

describe('the rules and the messages they cover', () => {
  it.each(MESSAGES)('%j gets the %s cause', (message, id) => {
    const rule = VERIFIER_CAUSES.find((c) => c.pattern.test(message));
    expect(rule?.id).toBe(id);
    const report = explainVerifierLog(`0: (95) exit\n${message}\n${STATS}\n`, '');
    expect(report.explanation).not.toBe(FALLBACK_EXPLANATION);
  });

  it('counts them: every rule is exercised, and rules and messages only grow', () => {
    const covered = new Set(MESSAGES.map(([, id]) => id));
    expect(VERIFIER_CAUSES.map((c) => c.id).filter((id) => !covered.has(id))).toEqual([]);
    expect(VERIFIER_CAUSES.length).toBeGreaterThanOrEqual(20);
    expect(MESSAGES.length).toBeGreaterThanOrEqual(40);
  });
});
