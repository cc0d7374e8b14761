import { describe, expect, it } from 'vitest';
import { explainVerifierLog } from './verifier.js';

// A real log from the sandbox: BCC rewrote `counts.lookup(&key)` and `bpf_trace_printk(...)`
// before clang saw them, so the verifier quotes text the learner never wrote.
const LOG = `bpf: Failed to load program: Permission denied
0: R1=ctx(off=0,imm=0) R10=fp0
; int count(void *ctx) {
0: (b7) r1 = 0                        ; R1_w=0
; u32 key = 0;
1: (63) *(u32 *)(r10 -4) = r1         ; R1_w=0 R10=fp0 fp-8=0000????
; u64 *value = bpf_map_lookup_elem((void *)bpf_pseudo_fd(1, -1), &key);
2: (18) r1 = 0xffff8880045dcc00       ; R1_w=map_ptr(off=0,ks=4,vs=8,imm=0)
6: (85) call bpf_map_lookup_elem#1    ; R0_w=map_value_or_null(id=1,off=0,ks=4,vs=8,imm=0)
; ({ char _fmt[] = "count %llu\\n"; bpf_trace_printk_(_fmt, sizeof(_fmt), *value); });
12: (79) r3 = *(u64 *)(r0 +0)
R0 invalid mem access 'map_value_or_null'
processed 11 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`;

const SOURCE = `BPF_HASH(counts, u32, u64);
int count(void *ctx) {
    u32 key = 0;
    u64 *value = counts.lookup(&key);
    bpf_trace_printk("count %llu\\n", *value);
    return 0;
}
`;

describe('explainVerifierLog on BCC-rewritten source', () => {
  it("finds the learner's line behind a rewritten bpf_trace_printk", () => {
    const report = explainVerifierLog(LOG, SOURCE);
    expect(report.line).toBe(5);
    expect(report.sourceText).toBe('bpf_trace_printk("count %llu\\n", *value);');
  });

  it('finds the line behind a rewritten map lookup', () => {
    const cut = LOG.slice(0, LOG.indexOf('; ({'));
    const report = explainVerifierLog(`${cut}R0 invalid mem access 'map_value_or_null'\n`, SOURCE);
    expect(report.line).toBe(4);
  });
});
