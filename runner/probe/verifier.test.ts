import { describe, expect, it } from 'vitest';
import {
  explainVerifierLog,
  FALLBACK_EXPLANATION,
  VERIFIER_CAUSES,
  withLearnerLines,
} from './verifier.js';

const STATS =
  'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0';

function log(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

const NULL_DEREF_SOURCE = `int hello(void *ctx) {
  int *p = 0; return *p;
}
`;

const NULL_DEREF_LOG = log(
  'bpf: Failed to load program: Permission denied',
  '0: R1=ctx(off=0,imm=0) R10=fp0',
  '; int *p = 0; return *p;',
  '0: (b7) r1 = 0                        ; R1_w=0',
  '1: (61) r0 = *(u32 *)(r1 +0)',
  "R1 invalid mem access 'scalar'",
  STATS,
);

describe('explainVerifierLog', () => {
  it('explains a NULL dereference and finds its source line', () => {
    const report = explainVerifierLog(NULL_DEREF_LOG, NULL_DEREF_SOURCE);
    expect(report).toEqual({
      summary: "R1 invalid mem access 'scalar'",
      explanation: expect.stringContaining('NULL (0) on this path'),
      line: 2,
      sourceText: 'int *p = 0; return *p;',
    });
    // `r1 = 0` is a constant: copying kernel memory would not help, so it is not suggested.
    expect(report.explanation).not.toContain('bpf_probe_read_kernel()');
  });

  it('explains a missing return', () => {
    const source = 'int hello(void *ctx) {\n  bpf_trace_printk("hi\\n");\n}\n';
    const report = explainVerifierLog(
      log(
        '0: R1=ctx(off=0,imm=0) R10=fp0',
        '; int hello(void *ctx) {',
        '0: (95) exit',
        'R0 !read_ok',
        'processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
      ),
      source,
    );
    expect(report.summary).toBe('R0 !read_ok');
    expect(report.explanation).toContain('return 0;');
    expect(report.line).toBe(1);
    expect(report.sourceText).toBe('int hello(void *ctx) {');
  });

  it('explains an unchecked map lookup, ignoring register states that mention it', () => {
    const source = `BPF_HASH(counts, u32, u64);
int count(void *ctx) {
    u32 key = 0;
    u64 *val = counts.lookup(&key);
    (*val)++;
    return 0;
}`;
    const report = explainVerifierLog(
      log(
        'bpf: Failed to load program: Permission denied',
        '0: R1=ctx(off=0,imm=0) R10=fp0',
        '; u32 key = 0;',
        '0: (b7) r1 = 0                        ; R1_w=0',
        '1: (63) *(u32 *)(r10 -4) = r1         ; R1_w=0 R10=fp0 fp-8=0000????',
        '2: (bf) r2 = r10                      ; R2_w=fp0 R10=fp0',
        '3: (07) r2 += -4                      ; R2_w=fp-4',
        '; u64 *val = bpf_map_lookup_elem((void *)bpf_pseudo_fd(1, -1), &key);',
        '4: (18) r1 = 0xffff8880049c5c00       ; R1_w=map_ptr(off=0,ks=4,vs=8,imm=0)',
        '6: (85) call bpf_map_lookup_elem#1    ; R0_w=map_value_or_null(id=1,off=0,ks=4,vs=8,imm=0)',
        '; (*val)++;',
        '7: (79) r1 = *(u64 *)(r0 +0)',
        "R0 invalid mem access 'map_value_or_null'",
        'processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
        '',
        "HINT: The 'map_value_or_null' error can happen if you dereference a pointer value from a map lookup without first checking if that pointer is NULL.",
        '',
      ),
      source,
    );
    expect(report).toEqual({
      summary: "R0 invalid mem access 'map_value_or_null'",
      explanation: expect.stringContaining('if (!value) return 0;'),
      line: 5,
      sourceText: '(*val)++;',
    });
  });

  it.each([
    ["R2 invalid mem access 'inv'", 'bpf_probe_read_kernel()'],
    ["R1 invalid mem access 'ptr_or_null_'", 'NULL'],
    ["R0 invalid mem access 'ringbuf_mem_or_null'", 'NULL'],
    ['back-edge from insn 12 to 8', 'constant bound'],
    ['infinite loop detected at insn 3', 'constant bound'],
    ['BPF program is too large. Processed 1000001 insn', 'constant bound'],
    ['The sequence of 8193 jumps is too complex.', 'constant bound'],
    ['invalid read from stack off -16+0 size 8', 'never written'],
    ['invalid indirect read from stack R4 off -32+20 size 32', 'struct data_t data = {};'],
    ['R1 min value is outside of the allowed memory range', 'in range'],
    ['invalid access to map value, value_size=64 off=64 size=1', 'in range'],
    ['invalid access to packet, off=14 size=1, R2(id=0,off=14,r=0)', 'in range'],
    [
      'R1 unbounded memory access, make sure to bounds check any such access',
      'Check the offset or index',
    ],
    [
      'math between map_value pointer and register with unbounded min value is not allowed',
      'Check the offset or index',
    ],
    ["R2 min value is negative, either use unsigned or 'var &= const'", 'make it unsigned'],
    ['unknown func bpf_skb_load_bytes#26', 'may not use'],
    ['cannot call GPL-restricted function from non-GPL compatible program', 'BPF_LICENSE'],
    ['dereference of modified ctx ptr R1 off=8 disallowed', 'arithmetic on the context'],
    ['invalid bpf_context access off=200 size=8', 'PT_REGS_PARM1(ctx)'],
    ['combined stack size of 2 calls is 576. Too large', '512 bytes'],
    ['R1 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem', '&var'],
    ['R3 !read_ok', 'never set'],
  ])('explains %j', (error, phrase) => {
    const report = explainVerifierLog(log('0: (95) exit', error, STATS), '');
    expect(report.summary).toBe(error);
    expect(report.explanation).toContain(phrase);
    expect(report.explanation).not.toBe(FALLBACK_EXPLANATION);
  });

  it('prefers the specific cause when several patterns could match', () => {
    // `or_null` is also an invalid mem access; `!read_ok` of R0 is the missing return.
    const nullCheck = VERIFIER_CAUSES.find((c) => c.pattern.test("'map_value_or_null'"));
    expect(explainVerifierLog("R0 invalid mem access 'map_value_or_null'", '').explanation).toBe(
      nullCheck?.explanation,
    );
    expect(explainVerifierLog('R0 !read_ok', '').explanation).toContain('return 0;');
  });

  it('falls back to a general explanation for unknown complaints', () => {
    const report = explainVerifierLog(
      log('; bpf_ringbuf_reserve(...)', '9: (95) exit', 'reg type unsupported for arg#0', STATS),
      '',
    );
    expect(report).toEqual({
      summary: 'reg type unsupported for arg#0',
      explanation: FALLBACK_EXPLANATION,
    });
  });

  it('explains a multi-line complaint from its earlier line', () => {
    const report = explainVerifierLog(
      log(
        '; if (data[14] == 0x45)',
        '5: (71) r3 = *(u8 *)(r2 +14)',
        'invalid access to packet, off=14 size=1, R2(id=0,off=14,r=0)',
        'R2 offset is outside of the packet',
        STATS,
      ),
      '',
    );
    expect(report.summary).toBe('R2 offset is outside of the packet');
    expect(report.explanation).toContain('in range');
  });

  it('does not take an explanation from before the instruction walk', () => {
    const report = explainVerifierLog(
      log('func#0 @0', 'R0 !read_ok', '0: (95) exit', 'weird new complaint', STATS),
      '',
    );
    expect(report.explanation).toBe(FALLBACK_EXPLANATION);
  });

  it('uses the last message of a truncated log without statistics', () => {
    const report = explainVerifierLog(
      log(
        '0: R1=ctx(off=0,imm=0) R10=fp0',
        '; int *p = 0; return *p;',
        '1: (61) r0 = *(u32 *)(r1 +0)',
        "R1 invalid mem access 'scalar'",
        'HINT: something from BCC',
      ),
      NULL_DEREF_SOURCE,
    );
    expect(report.summary).toBe("R1 invalid mem access 'scalar'");
    expect(report.line).toBe(2);
  });

  it('skips BCC, libbpf and Python noise', () => {
    const report = explainVerifierLog(
      log(
        'libbpf: prog hello: -- BEGIN PROG LOAD LOG --',
        '-- BEGIN PROG LOAD LOG --',
        '0: R1=ctx(off=0,imm=0) R10=fp0',
        '0: (95) exit',
        'R0 !read_ok',
        STATS,
        'verification time 12 usec',
        'stack depth 0',
        '-- END PROG LOAD LOG --',
        'Traceback (most recent call last):',
        '  File "/usr/lib/python3/dist-packages/bcc/__init__.py", line 526, in load_func',
        '    raise Exception("Failed to load BPF program %s: %s" %',
        "Exception: Failed to load BPF program b'hello': Permission denied",
      ),
      '',
    );
    expect(report.summary).toBe('R0 !read_ok');
  });

  it('ignores log-level-2 state and precision lines', () => {
    const report = explainVerifierLog(
      log(
        'func#0 @0',
        '0: R1=ctx(off=0,imm=0) R10=fp0',
        '; for (int i = 0; i < n; i++) {',
        '3: (3d) if r1 >= r2 goto pc+5',
        'from 3 to 9: R0=scalar() R1=scalar(umax=100) R10=fp0',
        'R0=scalar() R10=fp0',
        'last_idx 9 first_idx 3',
        'regs=2 stack=0 before 8: (07) r1 += 1',
        'mark_precise: frame0: last_idx 9 first_idx 3 subseq_idx -1',
        'infinite loop detected at insn 4',
        'mark_precise: frame0: regs=r1 stack= before 3',
        'processed 12 insns (limit 1000000) max_states_per_insn 1 total_states 2 peak_states 2 mark_read 1',
      ),
      'int f(void *ctx) {\n  int n = 5;\n  for (int i = 0; i < n; i++) {\n  }\n  return 0;\n}\n',
    );
    expect(report.summary).toBe('infinite loop detected at insn 4');
    expect(report.explanation).toContain('constant bound');
    expect(report.line).toBe(3);
  });

  it('uses the last statistics line when there are several', () => {
    const report = explainVerifierLog(
      log('0: (95) exit', 'R0 !read_ok', STATS, 'R9 !read_ok', STATS),
      '',
    );
    expect(report.summary).toBe('R9 !read_ok');
  });

  it('shows the BCC line when the kernel gave no verifier message', () => {
    expect(explainVerifierLog('bpf: Failed to load program: Permission denied\n', '')).toEqual({
      summary: 'bpf: Failed to load program: Permission denied',
      explanation: FALLBACK_EXPLANATION,
    });
  });

  it('copes with an empty log', () => {
    expect(explainVerifierLog('', 'int x;')).toEqual({
      summary: 'The verifier printed no log.',
      explanation: FALLBACK_EXPLANATION,
    });
    expect(explainVerifierLog(`\n\n${STATS}\n`, '').summary).toBe('The verifier printed no log.');
  });

  it('handles CRLF logs and sources', () => {
    const report = explainVerifierLog(
      NULL_DEREF_LOG.replaceAll('\n', '\r\n'),
      NULL_DEREF_SOURCE.replaceAll('\n', '\r\n'),
    );
    expect(report).toMatchObject({ summary: "R1 invalid mem access 'scalar'", line: 2 });
  });

  // Logs of Linux 6.12 (Debian 13's cloud kernel), as BCC 0.31 returned them in the sandbox.
  describe('Linux 6.12 logs', () => {
    const NULL_MAP_SOURCE = `BPF_HASH(counts, u32, u64);
int f(void *ctx) {
    u32 key = 0;
    u64 *v = counts.lookup(&key);
    *v += 1;
    return 0;
}
`;
    const NULL_MAP_LOG = log(
      '; u64 *v = counts.lookup(&key); @ main.c:16',
      '2: (18) r1 = 0xffff888004cf2c00       ; R1_w=map_ptr(map=counts,ks=4,vs=8)',
      '6: (85) call bpf_map_lookup_elem#1    ; R0_w=map_value_or_null(id=1,map=counts,ks=4,vs=8)',
      '; *v += 1; @ main.c:17',
      '7: (79) r1 = *(u64 *)(r0 +0)',
      "R0 invalid mem access 'map_value_or_null'",
      'processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
      '',
      "HINT: The 'map_value_or_null' error can happen if you dereference a pointer value from a map lookup without first checking if that pointer is NULL.",
    );

    it("finds the source line despite the ' @ main.c:N' the kernel appends to line info", () => {
      expect(explainVerifierLog(NULL_MAP_LOG, NULL_MAP_SOURCE)).toMatchObject({
        summary: "R0 invalid mem access 'map_value_or_null'",
        line: 5,
        sourceText: '*v += 1;',
      });
    });

    it("does not take the line number of BCC's rewritten source as the learner's", () => {
      // main.c:4 is BCC's numbering; the learner's line with that text is line 2.
      const report = explainVerifierLog(
        log('; int *p = 0; return *p; @ main.c:4', "R1 invalid mem access 'scalar'", STATS),
        NULL_DEREF_SOURCE,
      );
      expect(report).toMatchObject({ line: 2, sourceText: 'int *p = 0; return *p;' });
    });

    it('keeps an @ that is part of the source text', () => {
      const report = explainVerifierLog(
        log('; bpf_trace_printk("a @ b:1\\n");', "R1 invalid mem access 'scalar'", STATS),
        'int f(void *ctx) {\n  bpf_trace_printk("a @ b:1\\n");\n}',
      );
      expect(report.line).toBe(2);
    });

    it('explains an unbounded variable-offset stack read as a bounds problem, not a loop', () => {
      const report = explainVerifierLog(
        log(
          '; bpf_trace_printk("byte %d\\n", buf[i]); @ main.c:7',
          '10: (0f) r1 += r0                     ; R0_w=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R1_w=fp(off=-8,smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))',
          '12: (71) r3 = *(u8 *)(r1 +0)',
          'invalid unbounded variable-offset read from stack R1',
          'processed 12 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
        ),
        'int out_of_bounds(void *ctx) {\n    char buf[8] = {};\n    u32 i = bpf_get_prandom_u32();\n    bpf_trace_printk("byte %d\\n", buf[i]);\n    return 0;\n}\n',
      );
      expect(report.summary).toBe('invalid unbounded variable-offset read from stack R1');
      expect(report.explanation).toMatch(/outside the memory/);
      expect(report.explanation).not.toMatch(/loop/);
      expect(report.line).toBe(4);
    });

    it('explains a variable-offset write the same way', () => {
      expect(
        explainVerifierLog('invalid unbounded variable-offset write to stack R2', '').explanation,
      ).toMatch(/outside the memory/);
    });
  });

  describe('source lines', () => {
    it('leaves line and sourceText out when the text is not in the source', () => {
      const report = explainVerifierLog(NULL_DEREF_LOG, 'int main(void) { return 0; }\n');
      expect(report).not.toHaveProperty('line');
      expect(report).not.toHaveProperty('sourceText');
    });

    it('leaves them out when the log has no line info', () => {
      const report = explainVerifierLog(log('0: (95) exit', 'R0 !read_ok', STATS), 'return 0;');
      expect(report).not.toHaveProperty('line');
    });

    it('matches tab-indented source and trailing spaces', () => {
      const report = explainVerifierLog(
        log('; int *p = 0; return *p; ', "R1 invalid mem access 'scalar'", STATS),
        'int hello(void *ctx) {\n\t\tint *p = 0; return *p;   \n}',
      );
      expect(report).toMatchObject({ line: 2, sourceText: 'int *p = 0; return *p;' });
    });

    it('falls back to a source line that contains the text', () => {
      const report = explainVerifierLog(
        log(
          '; int *p = 0;',
          '1: (61) r0 = *(u32 *)(r1 +0)',
          "R1 invalid mem access 'scalar'",
          STATS,
        ),
        'int hello(void *ctx) {\n  int *p = 0; /* oops */\n  return *p;\n}',
      );
      expect(report).toMatchObject({ line: 2, sourceText: 'int *p = 0; /* oops */' });
    });

    it('prefers an exact match over a containing line', () => {
      const report = explainVerifierLog(
        log('; return *p;', "R1 invalid mem access 'scalar'", STATS),
        'int a(void *ctx) { int *p = 0; return *p; }\nint b(void *ctx) {\n  return *p;\n}',
      );
      expect(report.line).toBe(3);
    });

    it('ignores line info printed after the error', () => {
      const report = explainVerifierLog(
        log('; int *p = 0; return *p;', "R1 invalid mem access 'scalar'", '; other();', STATS),
        NULL_DEREF_SOURCE,
      );
      expect(report.line).toBe(2);
    });

    it('skips empty line info', () => {
      const report = explainVerifierLog(
        log(
          '; int *p = 0; return *p;',
          '0: (b7) r1 = 0',
          '; ',
          ';',
          "R1 invalid mem access 'scalar'",
          STATS,
        ),
        NULL_DEREF_SOURCE,
      );
      expect(report.line).toBe(2);
    });

    it('uses the walk so far to choose between repeated lines', () => {
      const source = `int probe(struct pt_regs *ctx) {
    int pid = bpf_get_current_pid_tgid() >> 32;
    if (pid == 1) {
        return 0;
    }
    u64 *val = counts.lookup(&pid);
    if (val) {
        (*val)++;
    }
}`;
      const report = explainVerifierLog(
        log(
          '0: R1=ctx(off=0,imm=0) R10=fp0',
          '; int pid = bpf_get_current_pid_tgid() >> 32;',
          '0: (85) call bpf_get_current_pid_tgid#14',
          '; if (val) {',
          '9: (15) if r0 == 0x0 goto pc+3',
          '; (*val)++;',
          '10: (79) r1 = *(u64 *)(r0 +0)',
          '; }',
          '13: (95) exit',
          'R0 !read_ok',
          STATS,
        ),
        source,
      );
      // `}` is on lines 5, 9 and 10; the walk was last at line 8.
      expect(report).toMatchObject({ summary: 'R0 !read_ok', line: 9, sourceText: '}' });
    });

    it('takes the closest earlier repeat when none follows the anchor', () => {
      const source = 'x = 1;\nfoo();\nx = 1;\nbar();';
      const report = explainVerifierLog(
        log('; bar();', '; x = 1;', "R1 invalid mem access 'scalar'", STATS),
        source,
      );
      expect(report.line).toBe(3);
    });

    it('takes the first repeat when nothing anchors it', () => {
      const report = explainVerifierLog(
        log('; return 0;', 'R0 !read_ok', STATS),
        'int a() {\n  return 0;\n}\nint b() {\n  return 0;\n}',
      );
      expect(report.line).toBe(2);
    });
  });
});

describe('withLearnerLines', () => {
  const source = [
    'BPF_ARRAY(counter, u64, 1);',
    '',
    'int count_clones(void *ctx) {',
    '    int zero = 0;',
    '    u64 *count = counter.lookup(&zero);',
    '    *count += 1;',
    '    return 0;',
    '}',
    'int other(void *ctx) {',
    '    return 0;',
    '}',
  ].join('\n');

  it("puts the learner's line numbers in the log where BCC's rewritten source had its own", () => {
    const log = [
      '0: R1=ctx() R10=fp0',
      '; int count_clones(void *ctx) { @ main.c:15',
      '0: (b7) r1 = 0',
      '; *count += 1; @ main.c:19',
      '4: (79) r1 = *(u64 *)(r0 +0)',
      "R0 invalid mem access 'map_value_or_null'",
    ].join('\n');
    expect(withLearnerLines(log, source)).toBe(
      [
        '0: R1=ctx() R10=fp0',
        '; int count_clones(void *ctx) { @ line 3',
        '0: (b7) r1 = 0',
        '; *count += 1; @ line 6',
        '4: (79) r1 = *(u64 *)(r0 +0)',
        "R0 invalid mem access 'map_value_or_null'",
      ].join('\n'),
    );
  });

  it('drops the number where the text is rewritten by BCC or on more than one line', () => {
    const log = [
      '; u64 *count = bpf_map_lookup_elem((void *)bpf_pseudo_fd(1, -1), &zero); @ main.c:18',
      '; return 0; @ main.c:20',
    ].join('\n');
    expect(withLearnerLines(log, source)).toBe(
      [
        '; u64 *count = bpf_map_lookup_elem((void *)bpf_pseudo_fd(1, -1), &zero);',
        '; return 0;',
      ].join('\n'),
    );
  });

  it('leaves logs of kernels without line info as they are', () => {
    const log = '; *count += 1;\n4: (79) r1 = *(u64 *)(r0 +0)';
    expect(withLearnerLines(log, source)).toBe(log);
  });
});
