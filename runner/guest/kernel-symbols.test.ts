/**
 * kernel_symbols.py picks the few /proc/kallsyms lines `bpftool prog dump xlated` needs to name a
 * program's calls, so the dump does not read all 159,000 symbols. These tests run the real Python
 * on a made-up kallsyms and made-up instructions: the lines it gives must be exactly those
 * bpftool would find, and when it cannot promise that (a call into the program's own functions,
 * a symbol it does not know, two symbols at one address) it must say so, so the worker falls
 * back to the whole file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runGuestPython } from './guest-python.js';

const BASE = 0xffffffff8126c750n;

/** Reads {kallsyms file, calls: [[src_reg, imm]...]} on stdin; prints for_dump's text or null. */
const PYTHON = `
import struct
import kernel_symbols

data = json.load(sys.stdin)
symbols = kernel_symbols.KernelSymbols(data['kallsyms'])
insns = struct.pack('=BBhi', 0xb7, 0x02, 0, 16)  # r2 = 16: not a call
for src_reg, imm in data['calls']:
    insns += struct.pack('=BBhi', 0x85, src_reg << 4, 0, imm)
insns += struct.pack('=BBhi', 0x95, 0, 0, 0)  # exit
text = symbols.for_dump(insns)
json.dump(None if text is None else text.decode(), sys.stdout)
`;

const dir = mkdtempSync(join(tmpdir(), 'kernel-symbols-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KALLSYMS = [
  '0000000000000000 A fixed_percpu_data',
  'ffffffff812547f0 T bpf_trace_printk',
  'ffffffff8126c750 T __bpf_call_base',
  'ffffffff812a8fc0 T bpf_get_current_pid_tgid',
  'ffffffff812b3a90 t __htab_map_lookup_elem',
  'ffffffff812b6f80 t htab_map_update_elem',
  'ffffffff812c0000 t alias_one',
  'ffffffff812c0000 t alias_two',
  'ffffffffc0001000 t nf_helper\t[nf_conntrack]',
  'ffffffffc0002000 t bpf_prog_3447a27ee1a29df9_hello_world\t[bpf]',
  '',
].join('\n');

function forDump(calls: [srcReg: number, address: bigint][], kallsyms = KALLSYMS): string | null {
  const file = join(dir, `kallsyms-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, kallsyms);
  const input = {
    kallsyms: file,
    calls: calls.map(([srcReg, address]) => [srcReg, Number(BigInt.asIntN(32, address - BASE))]),
  };
  return runGuestPython(PYTHON, input) as string | null;
}

describe('kernel_symbols.py: the kallsyms lines an xlated dump needs', () => {
  it('gives __bpf_call_base and the line of each call target, once each', () => {
    expect(
      forDump([
        [0, 0xffffffff812a8fc0n],
        [0, 0xffffffff812b3a90n],
        [0, 0xffffffff812547f0n],
        [0, 0xffffffff812a8fc0n],
      ]),
    ).toBe(
      [
        'ffffffff8126c750 T __bpf_call_base',
        'ffffffff812a8fc0 T bpf_get_current_pid_tgid',
        'ffffffff812b3a90 t __htab_map_lookup_elem',
        'ffffffff812547f0 T bpf_trace_printk',
        '',
      ].join('\n'),
    );
  });

  it('keeps a module symbol as kallsyms writes it (a kfunc call)', () => {
    expect(forDump([[2, 0xffffffffc0001000n]])).toBe(
      'ffffffff8126c750 T __bpf_call_base\nffffffffc0001000 t nf_helper\t[nf_conntrack]\n',
    );
  });

  it('needs only __bpf_call_base for a program without calls', () => {
    expect(forDump([])).toBe('ffffffff8126c750 T __bpf_call_base\n');
  });

  it('cannot promise the same names, so gives none, when bpftool would name a call otherwise', () => {
    // An address kallsyms did not have when it was read (a module loaded since).
    expect(forDump([[0, 0xffffffff812547f8n]])).toBeNull();
    // Two names at one address: which one bpftool shows depends on its sort of the whole file.
    expect(forDump([[0, 0xffffffff812c0000n]])).toBeNull();
    // A BPF program's own symbol: those come and go with every load.
    expect(forDump([[0, 0xffffffffc0002000n]])).toBeNull();
    // A call to another function of the same program is named by the program's [bpf] symbols.
    expect(forDump([[1, 0xffffffff812547f0n]])).toBeNull();
  });

  it('gives none when kallsyms hides addresses (kptr_restrict) or cannot be read', () => {
    expect(forDump([], KALLSYMS.replace(/^ffffffff[0-9a-f]+/gm, '0000000000000000'))).toBeNull();
    expect(forDump([], '')).toBeNull();
  });
});
