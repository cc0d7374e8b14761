import { describe, expect, it } from 'vitest';
import { parseJited, parseXlated } from './bytecode.js';

// Real output from the sandbox for the guide's hello world: BCC prepended 11 lines and
// rewrote bpf_trace_printk, so line 12 is the learner's line 1.
const XLATED = `int hello_world(void * ctx):
; int hello_world(void *ctx) { [file:/virtual/main.c line_num:12 line_col:0]
   0: (18) r1 = 0xa202121646c72
; ({ char _fmt[] = "Hello World!! \\n"; bpf_trace_printk_(_fmt, sizeof(_fmt)); }); [file:/virtual/main.c line_num:14 line_col:13]
   2: (7b) *(u64 *)(r10 -8) = r1
;  [file:/virtual/main.c line_num:0 line_col:0]
   7: (07) r1 += -16
   9: (85) call bpf_trace_printk#-61712
; return 0; [file:/virtual/main.c line_num:15 line_col:5]
  10: (b7) r0 = 0
  11: (95) exit
`;

const SOURCE = `int hello_world(void *ctx) {

    bpf_trace_printk("Hello World!! \\n");
    return 0;
}
`;

describe('parseXlated', () => {
  it('places each verified instruction on the learner line it came from', () => {
    const insns = parseXlated(XLATED, SOURCE);
    expect(insns.map((i) => [i.index, i.line])).toEqual([
      [0, 1],
      [2, 3],
      [7, undefined],
      [9, undefined],
      [10, 4],
      [11, 4],
    ]);
    expect(insns[0]?.text).toBe('(18) r1 = 0xa202121646c72');
  });

  it('keeps instructions without line info when the source does not match', () => {
    const insns = parseXlated(XLATED, 'something else entirely\n');
    expect(insns).toHaveLength(6);
    expect(insns.every((i) => i.line === undefined)).toBe(true);
  });
});

describe('parseJited', () => {
  it('reads objdump output of a raw JIT image', () => {
    const dump = `
/tmp/tmpx/jited.bin:     file format binary


Disassembly of section .data:

0000000000000000 <.data>:
   0:\tendbr64
   4:\tnopl   0x0(%rax,%rax,1)
   9:\txchg   %ax,%ax
`;
    expect(parseJited(dump)).toEqual([
      '   0: endbr64',
      '   4: nopl 0x0(%rax,%rax,1)',
      '   9: xchg %ax,%ax',
    ]);
  });
});

describe('parseXlated when BCC shifts some lines differently', () => {
  // Lesson 7's solution: the function's own line is reported one line off from the body's
  // lines (BCC rewrote the lines before it), which put instruction 0 on the blank line above.
  const SOURCE_7 = [
    '// Counts the processes created since Run, in a map: memory the kernel keeps between events.',
    'BPF_ARRAY(counter, u64, 1);',
    '',
    'int count_clones(void *ctx) {',
    '    int zero = 0;',
    '    u64 *count = counter.lookup(&zero);',
    '    if (count == NULL)',
    '        return 0;',
    '    *count += 1;',
    '    return 0;',
    '}',
  ].join('\n');
  const dump = `int count_clones(void * ctx):
; int count_clones(void *ctx) { [file:/virtual/main.c line_num:15 line_col:0]
   0: (b7) r1 = 0
; int zero = 0; [file:/virtual/main.c line_num:17 line_col:9]
   1: (63) *(u32 *)(r10 -4) = r1
; u64 *count = bpf_map_lookup_elem((void *)bpf_pseudo_fd(1, -3), &zero); [file:/virtual/main.c line_num:18 line_col:18]
   2: (18) r1 = map[id:12]
; if (count == NULL) [file:/virtual/main.c line_num:19 line_col:9]
   6: (15) if r0 == 0x0 goto pc+3
; *count += 1; [file:/virtual/main.c line_num:21 line_col:12]
   7: (79) r1 = *(u64 *)(r0 +0)
; return 0; [file:/virtual/main.c line_num:22 line_col:5]
  10: (b7) r0 = 0
  11: (95) exit
`;

  it("labels instruction 0 with the function's line, not the line before it", () => {
    const lines = parseXlated(dump, SOURCE_7).map((i) => [i.index, i.line]);
    expect(lines).toEqual([
      [0, 4],
      [1, 5],
      [2, 6],
      [6, 7],
      [7, 9],
      [10, 10],
      [11, 10],
    ]);
  });

  it('picks the nearest of several lines with the same text', () => {
    const source = ['int f(void *ctx) {', '    return 0;', '    return 0;', '}'].join('\n');
    const twice = `int f(void * ctx):
; int f(void *ctx) { [file:/virtual/main.c line_num:11 line_col:0]
   0: (b7) r0 = 0
; return 0; [file:/virtual/main.c line_num:13 line_col:5]
   1: (95) exit
`;
    expect(parseXlated(twice, source).map((i) => i.line)).toEqual([1, 3]);
  });
});
