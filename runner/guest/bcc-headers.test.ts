/**
 * bcc_headers.py's pure parts: reading BCC's clang command from its debug output, turning it
 * into the command that precompiles the headers, finding BCC's in-memory headers in libbcc, and
 * telling a compile the PCH broke from one the learner's source broke. The real Python, on
 * text shaped like BCC 0.31's (clang 19, kernel 6.12); building and using the PCH is tested in
 * a real sandbox (test/e2e/sandbox.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { runGuestPython } from './guest-python.js';

/** Reads {call, args, bytes} on stdin, calls bcc_headers.<call>(*args), prints the outcome. */
const PYTHON = `
import bcc_headers as h

data = json.load(sys.stdin)
args = [a.encode('latin-1') if data['bytes'] else a for a in data['args']]
try:
    result = getattr(h, data['call'])(*args)
    if isinstance(result, dict):
        result = {k: v.decode('latin-1') for k, v in result.items()}
    elif isinstance(result, bytes):
        result = result.decode('latin-1')
    json.dump({'result': result}, sys.stdout)
except h.HeadersUnavailable as why:
    json.dump({'unavailable': str(why)}, sys.stdout)
`;

type Outcome = { result?: unknown; unavailable?: string };

function call(name: string, args: unknown[], bytes = false): Outcome {
  return runGuestPython(PYTHON, { call: name, args, bytes }) as Outcome;
}

const KDIR = '/usr/src/linux-headers-6.12.118+deb13-common';
const CC1 = [
  '-triple x86_64-unknown-linux-gnu -emit-llvm-bc -emit-llvm-uselists -disable-free',
  '-main-file-name main.c -mrelocation-model pic',
  `-fdebug-compilation-dir=${KDIR} -nostdsysteminc -nobuiltininc -resource-dir lib/clang/19`,
  '-include ./include/linux/kconfig.h -include /virtual/include/bcc/bpf.h',
  '-D KBUILD_MODNAME="bcc" -O2 -o main.bc -x c /virtual/main.c',
].join(' ');
// What BCC prints with DEBUG_PREPROCESSOR: its kernel directory, the command, the rewritten source.
const DEBUG_OUTPUT = `Running from kernel directory at: /lib/modules/6.12.118+deb13-cloud-amd64/source

clang -cc1 ${CC1}
#if defined(BPF_LICENSE)
#error BPF_LICENSE cannot be specified through cflags
#endif
`;

describe("BCC's clang command", () => {
  const args = CC1.split(' ');

  it('is read from the debug output, past the lines around it', () => {
    expect(call('cc1_args', [DEBUG_OUTPUT]).result).toEqual(args);
    expect(call('cc1_args', ['Running from kernel directory at: /x\n']).unavailable).toBe(
      'BCC printed no clang command',
    );
  });

  it('loses what it compiles and where to, and keeps every flag that shapes the headers', () => {
    const { result } = call('header_args', [args]);
    const dropped = [
      '-emit-llvm-bc',
      '-emit-llvm-uselists',
      '-main-file-name',
      'main.c',
      '-o',
      'main.bc',
      '-x',
      'c',
      '/virtual/main.c',
    ];
    expect(result).toEqual(args.filter((a) => !dropped.includes(a)));
    expect(result).toContain('KBUILD_MODNAME="bcc"');
  });

  it('must have each part it replaces, or the headers are not precompiled', () => {
    expect(call('without_args', [args, [['-emit-obj']]]).unavailable).toBe(
      "BCC's clang command has no -emit-obj",
    );
    // A run of tokens, not tokens anywhere: `-x c` must be followed by the main file.
    expect(call('without_args', [args, [['-x', 'c', '/other.c']]]).unavailable).toMatch(/no -x c/);
  });

  it("names the directory clang runs in and clang's major version", () => {
    expect(call('working_directory', [args]).result).toBe(KDIR);
    expect(call('clang_version', [args]).result).toBe('19');
    expect(call('working_directory', [['-O2']]).unavailable).toMatch(/no working directory/);
    expect(call('clang_version', [['-O2']]).unavailable).toMatch(/no clang version/);
  });
});

describe("BCC's in-memory headers in libbcc", () => {
  const licence = '\n/*\n * Copyright (c) 2015 PLUMgrid, Inc.\n */\n';
  const header = (guard: string, body = '') =>
    `${licence}#ifndef ${guard}\n#define ${guard}\n${body}#endif\n`;
  const all = {
    '/virtual/include/bcc/bpf.h': header(
      '_UAPI__LINUX_BPF_H__',
      'enum bpf_cmd { BPF_MAP_CREATE };\n',
    ),
    '/virtual/include/bcc/bpf_workaround.h': header('__HAVE_BUILTIN_BSWAP16__'),
    '/virtual/include/bcc/helpers.h': header('__BPF_HELPERS_H', '#include <uapi/linux/bpf.h>\n'),
    '/virtual/include/bcc/proto.h': header('__BCC_PROTO_H'),
    '/virtual/lib/clang/include/stdarg.h': header('__STDARG_H'),
  };
  const library = (texts: string[]) => `\x7fELF\0\0code\0${texts.join('\0\0')}\0other strings\0`;

  it('are each the one string whose first directive is its include guard', () => {
    // A string that only mentions a guard later (a header that includes bpf.h) is not it.
    const mention = `${licence}#include <x.h>\n#ifndef __BPF_HELPERS_H\n`;
    expect(
      call('embedded_headers', [library([mention, ...Object.values(all)])], true).result,
    ).toEqual(all);
  });

  it('missing or found twice, are not guessed at', () => {
    const { '/virtual/include/bcc/proto.h': _, ...withoutProto } = all;
    expect(call('embedded_headers', [library(Object.values(withoutProto))], true).unavailable).toBe(
      'libbcc holds 0 copies of /virtual/include/bcc/proto.h',
    );
    const twice = [...Object.values(all), header('__STDARG_H', '/* another */\n')];
    expect(call('embedded_headers', [library(twice)], true).unavailable).toBe(
      'libbcc holds 2 copies of /virtual/lib/clang/include/stdarg.h',
    );
  });
});

describe('a failed compile blames the precompiled headers', () => {
  it("when clang's words are about them", () => {
    for (const log of [
      "fatal error: PCH file '/var/cache/ebpf-lab/bcc-headers.pch' not found: module file not found",
      "fatal error: malformed or corrupted AST file: 'can't skip to bit 3167232 from 210144'",
      "fatal error: malformed block record in PCH file: '/var/cache/ebpf-lab/bcc-headers.pch'",
      "error: input is not a PCH file: '/var/cache/ebpf-lab/bcc-headers.pch'",
      "error: definition of macro 'KBUILD_MODNAME' differs between the precompiled header ('\"bcc\"') and the command line ('\"x\"')",
    ])
      expect(call('blames_headers', [log]).result, log).toBe(true);
  });

  it("not when they are about the learner's source", () => {
    const log =
      "/virtual/main.c:2:10: error: use of undeclared identifier 'x'\n    2 |   return x;\n      |          ^\n";
    expect(call('blames_headers', [log]).result).toBe(false);
  });
});

describe("a source's includes, as a PCH can stand in for them", () => {
  const prefix = (source: string) => call('include_prefix', [source]).result;

  it('are the #include <...> lines it opens with, past comments and blank lines', () => {
    expect(
      prefix(
        '// An XDP program\n/* counts\n   packets */\n#include <uapi/linux/bpf.h>\n\n' +
          '#  include   <uapi/linux/ip.h>  // IP header\n#include <linux/fs.h>\nBPF_HASH(a, u32);\n',
      ),
    ).toEqual([
      '#include <uapi/linux/bpf.h>',
      '#include <uapi/linux/ip.h>',
      '#include <linux/fs.h>',
    ]);
  });

  it('end at anything that could change what a later include means', () => {
    expect(prefix('#include <a.h>\n#define X 1\n#include <b.h>\n')).toEqual(['#include <a.h>']);
    expect(prefix('#include <a.h>\n#include "mine.h"\n#include <b.h>\n')).toEqual([
      '#include <a.h>',
    ]);
    expect(prefix('#include <a.h> /* why */\n#include <b.h>\n')).toEqual([]);
    expect(prefix('int x;\n#include <a.h>\n')).toEqual([]);
    expect(prefix('#include <a.h> \\\n#include <b.h>\n')).toEqual([]);
  });

  it("are none for the guide's probe", () => {
    expect(prefix('int hello_world(void *ctx) {\n    return 0;\n}\n')).toEqual([]);
  });

  it('name one PCH per list, whatever the spacing', () => {
    const path = (source: string) =>
      call('includes_pch_path', [call('include_prefix', [source]).result]).result;
    expect(path('#include <a.h>\n#include <b.h>\n')).toBe(
      path('#include<a.h>\n\n#include <b.h>\n'),
    );
    expect(path('#include <a.h>\n')).not.toBe(path('#include <a.h>\n#include <b.h>\n'));
    expect(path('#include <a.h>\n')).toMatch(
      /^\/var\/cache\/ebpf-lab\/includes-[0-9a-f]{16}\.pch$/,
    );
  });
});

describe('bytecode, as two compiles of a source are compared', () => {
  /** One 8-byte instruction: opcode, registers (source in the high nibble), offset, immediate. */
  const insn = (code: number, dst: number, src: number, imm: number) => {
    const bytes = Buffer.alloc(8);
    bytes.writeUInt8(code, 0);
    bytes.writeUInt8((src << 4) | dst, 1);
    bytes.writeInt32LE(imm, 4);
    return bytes;
  };
  const compare = (...insns: Buffer[]) =>
    Buffer.from(
      call('without_map_fds', [Buffer.concat(insns).toString('latin1')], true).result as string,
      'latin1',
    );

  it('leaves out the fd of each map a compile created, and nothing else', () => {
    const mapFd = (fd: number) => [insn(0x18, 1, 1, fd), insn(0, 0, 0, 0)];
    const rest = [insn(0xb7, 0, 0, 7), insn(0x18, 2, 0, 7), insn(0, 0, 0, 0), insn(0x95, 0, 0, 0)];
    expect(compare(...mapFd(7), ...rest)).toEqual(compare(...mapFd(12), ...rest));
    expect(compare(...mapFd(7), ...rest)).toEqual(Buffer.concat([...mapFd(0), ...rest]));
    // A plain 64-bit constant stays; a map value's address (by the map's fd too) does not.
    expect(compare(insn(0x18, 2, 0, 7), insn(0, 0, 0, 0))).toEqual(
      Buffer.concat([insn(0x18, 2, 0, 7), insn(0, 0, 0, 0)]),
    );
    expect(compare(insn(0x18, 2, 2, 9), insn(0, 0, 0, 0))).toEqual(
      Buffer.concat([insn(0x18, 2, 2, 0), insn(0, 0, 0, 0)]),
    );
  });
});
