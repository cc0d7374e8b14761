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
