import { describe, expect, it } from 'vitest';
import {
  BCC_MAIN_FILE,
  formatDiagnostic,
  parseClangDiagnostics,
  type SourceDiagnostic,
} from './diagnostics.js';

const TYPO = `/virtual/main.c:2:5: error: use of undeclared identifier 'bpf_trace_prink'; did you mean 'bpf_trace_printk'?
    bpf_trace_prink("Hello World!! \\n");
    ^~~~~~~~~~~~~~~
    bpf_trace_printk
/virtual/include/bcc/helpers.h:552:5: note: 'bpf_trace_printk' declared here
int bpf_trace_printk(const char *fmt, ...) asm("llvm.bpf.extra");
    ^
1 error generated.
`;

describe('parseClangDiagnostics', () => {
  it('parses an error with a fix-it, and its note in BCC helpers at the same place', () => {
    // The learner's text never included helpers.h (BCC does): the note goes with the error it
    // annotates, not on line 1, where it underlined a line with nothing wrong.
    expect(parseClangDiagnostics(TYPO)).toEqual([
      {
        line: 2,
        column: 5,
        severity: 'error',
        message: "use of undeclared identifier 'bpf_trace_prink'; did you mean 'bpf_trace_printk'?",
      },
      {
        line: 2,
        column: 5,
        severity: 'note',
        message: "in /virtual/include/bcc/helpers.h:552:5: 'bpf_trace_printk' declared here",
        file: '/virtual/include/bcc/helpers.h',
      },
    ]);
  });

  it('does not set file for problems in the learner file', () => {
    const [first] = parseClangDiagnostics(TYPO);
    expect(first).not.toHaveProperty('file');
  });

  it('pins an error in an included file to the learner #include line', () => {
    const stderr = `In file included from /virtual/main.c:1:
/etc/hostname:1:1: error: unknown type name 'sandbox'
sandbox
^
1 error generated.
`;
    expect(parseClangDiagnostics(stderr)).toEqual([
      {
        line: 1,
        column: 1,
        severity: 'error',
        message: "in /etc/hostname:1:1: unknown type name 'sandbox'",
        file: '/etc/hostname',
      },
    ]);
  });

  it('follows a nested include stack back to the learner file', () => {
    const stderr = `In file included from /virtual/main.c:3:
In file included from /usr/include/linux/sched.h:5:
/usr/include/linux/types.h:5:10: fatal error: 'asm/types.h' file not found
#include <asm/types.h>
         ^~~~~~~~~~~~~
1 error generated.
`;
    expect(parseClangDiagnostics(stderr)).toEqual([
      {
        line: 3,
        column: 1,
        severity: 'error',
        message: "in /usr/include/linux/types.h:5:10: 'asm/types.h' file not found",
        file: '/usr/include/linux/types.h',
      },
    ]);
  });

  it('remembers the include line when clang does not repeat the stack', () => {
    const stderr = `In file included from /virtual/main.c:4:
/home/me/defs.h:1:1: error: unknown type name 'foo'
foo x;
^
/home/me/defs.h:2:1: error: unknown type name 'bar'
bar y;
^
/virtual/main.c:9:3: error: use of undeclared identifier 'z'
  z++;
  ^
2 errors generated.
`;
    expect(parseClangDiagnostics(stderr).map((d) => [d.line, d.column, d.file])).toEqual([
      [4, 1, '/home/me/defs.h'],
      [4, 1, '/home/me/defs.h'],
      [9, 3, undefined],
    ]);
  });

  it('remembers intermediate headers of a nested stack too', () => {
    const stderr = `In file included from /virtual/main.c:2:
In file included from /x/a.h:1:
/x/b.h:1:1: error: e1
/x/a.h:7:2: error: e2
`;
    expect(parseClangDiagnostics(stderr).map((d) => d.line)).toEqual([2, 2]);
  });

  it('puts a note in a header the learner did not include with the warning before it', () => {
    const stderr = `/virtual/main.c:4:9: warning: incompatible pointer types [-Wincompatible-pointer-types]
    bpf_probe_read(buf, 4, p);
        ^~~
/virtual/include/bcc/helpers.h:320:1: note: passing argument to parameter 'dst' here
`;
    expect(parseClangDiagnostics(stderr).map((d) => [d.severity, d.line, d.column])).toEqual([
      ['warning', 4, 9],
      ['note', 4, 9],
    ]);
  });

  it('keeps a note in an included header at the #include, and a lone note at line 1', () => {
    const stderr = `In file included from /virtual/main.c:3:
/usr/include/linux/x.h:7:2: note: defined here
/virtual/include/bcc/helpers.h:9:1: note: nothing before it
`;
    expect(parseClangDiagnostics(stderr).map((d) => d.line)).toEqual([3, 3]);
    expect(
      parseClangDiagnostics('/virtual/include/bcc/helpers.h:9:1: note: alone\n')[0]?.line,
    ).toBe(1);
  });

  it('keeps line 1 for headers reached without the learner file', () => {
    const stderr = `In file included from <built-in>:2:
In file included from /virtual/include/bcc/bpf.h:12:
/virtual/include/bcc/helpers.h:10:1: error: redefinition of 'x'
int x;
^
`;
    expect(parseClangDiagnostics(stderr)).toEqual([
      {
        line: 1,
        column: 1,
        severity: 'error',
        message: "in /virtual/include/bcc/helpers.h:10:1: redefinition of 'x'",
        file: '/virtual/include/bcc/helpers.h',
      },
    ]);
  });

  it('parses a warning and keeps its flag', () => {
    expect(
      parseClangDiagnostics(
        '/virtual/main.c:3:1: warning: non-void function does not return a value [-Wreturn-type]\n}\n^\n1 warning generated.\n',
      ),
    ).toEqual([
      {
        line: 3,
        column: 1,
        severity: 'warning',
        message: 'non-void function does not return a value [-Wreturn-type]',
      },
    ]);
  });

  it('reports a fatal error as an error', () => {
    const stderr = `/virtual/main.c:1:10: fatal error: '/tmp/secret.h' file not found
#include "/tmp/secret.h"
         ^~~~~~~~~~~~~~~
1 error generated.
`;
    expect(parseClangDiagnostics(stderr)).toEqual([
      { line: 1, column: 10, severity: 'error', message: "'/tmp/secret.h' file not found" },
    ]);
  });

  it('puts diagnostics without a location at line 1', () => {
    expect(
      parseClangDiagnostics(
        'fatal error: too many errors emitted, stopping now [-ferror-limit=]\n20 errors generated.\n',
      ),
    ).toEqual([
      {
        line: 1,
        column: 1,
        severity: 'error',
        message: 'too many errors emitted, stopping now [-ferror-limit=]',
      },
    ]);
    expect(parseClangDiagnostics("clang: warning: argument unused: '-x'")).toEqual([
      { line: 1, column: 1, severity: 'warning', message: "argument unused: '-x'" },
    ]);
  });

  it('accepts a location without a column', () => {
    expect(parseClangDiagnostics('/virtual/main.c:7: error: oops')).toEqual([
      { line: 7, column: 1, severity: 'error', message: 'oops' },
    ]);
    expect(
      parseClangDiagnostics('In file included from /virtual/main.c:2:\n/a.h:7: error: x'),
    ).toEqual([{ line: 2, column: 1, severity: 'error', message: 'in /a.h:7: x', file: '/a.h' }]);
  });

  it('treats remarks as notes', () => {
    expect(parseClangDiagnostics('/virtual/main.c:2:1: remark: r')[0]?.severity).toBe('note');
  });

  it('keeps notes in the learner file as their own entries', () => {
    const stderr = `/virtual/main.c:5:9: error: redefinition of 'count'
    int count = 1;
        ^
/virtual/main.c:4:9: note: previous definition is here
    int count = 0;
        ^
1 error generated.
`;
    expect(parseClangDiagnostics(stderr)).toEqual([
      { line: 5, column: 9, severity: 'error', message: "redefinition of 'count'" },
      { line: 4, column: 9, severity: 'note', message: 'previous definition is here' },
    ]);
  });

  it('skips BCC and Python noise around the diagnostics', () => {
    const stderr = `/virtual/main.c:4:12: error: use of undeclared identifier 'x'
    return x;
           ^
1 error generated.
Traceback (most recent call last):
  File "/srv/agent/bcc_worker.py", line 88, in compile
    b = BPF(text=source)
  File "/usr/lib/python3/dist-packages/bcc/__init__.py", line 479, in __init__
    raise Exception("Failed to compile BPF module %s" % (src_file or "<text>"))
Exception: Failed to compile BPF module <text>
Failed to compile BPF module <text>
`;
    expect(parseClangDiagnostics(stderr)).toEqual([
      { line: 4, column: 12, severity: 'error', message: "use of undeclared identifier 'x'" },
    ]);
  });

  it('does not mistake a source excerpt for a diagnostic', () => {
    const stderr = `/virtual/main.c:2:1: error: expected ';' after expression
/virtual/main.c:1:1: error: fake // from a learner comment
^
1 error generated.
`;
    expect(parseClangDiagnostics(stderr)).toEqual([
      { line: 2, column: 1, severity: 'error', message: "expected ';' after expression" },
    ]);
  });

  it('keeps back-to-back diagnostics that have no excerpt', () => {
    const stderr = `/virtual/main.c:1:1: error: a
/virtual/main.c:2:1: error: b
/virtual/main.c:3:1: error: c
  code;
  ^
`;
    expect(parseClangDiagnostics(stderr).map((d) => d.message)).toEqual(['a', 'b', 'c']);
  });

  it('skips excerpts in the gutter style of newer clang', () => {
    const stderr = `/virtual/main.c:2:5: error: use of undeclared identifier 'y'
    2 |     y = 1;
      |     ^
1 error generated.
`;
    expect(parseClangDiagnostics(stderr)).toEqual([
      { line: 2, column: 5, severity: 'error', message: "use of undeclared identifier 'y'" },
    ]);
  });

  it('handles CRLF line endings', () => {
    expect(parseClangDiagnostics('/virtual/main.c:2:5: error: x\r\n  y;\r\n  ^\r\n')).toEqual([
      { line: 2, column: 5, severity: 'error', message: 'x' },
    ]);
  });

  it('honours a different main file name', () => {
    expect(parseClangDiagnostics('/tmp/prog.c:3:4: error: e', '/tmp/prog.c')).toEqual([
      { line: 3, column: 4, severity: 'error', message: 'e' },
    ]);
    expect(parseClangDiagnostics(`${BCC_MAIN_FILE}:3:4: error: e`, '/tmp/prog.c')[0]).toMatchObject(
      { line: 1, column: 1, file: BCC_MAIN_FILE },
    );
  });

  it('clamps impossible positions to 1', () => {
    expect(parseClangDiagnostics('/virtual/main.c:0:0: error: e')).toEqual([
      { line: 1, column: 1, severity: 'error', message: 'e' },
    ]);
  });

  it('returns nothing for empty or unrelated output', () => {
    expect(parseClangDiagnostics('')).toEqual([]);
    expect(parseClangDiagnostics('1 error generated.\n')).toEqual([]);
    expect(parseClangDiagnostics('bpf: Failed to load program: Permission denied\n')).toEqual([]);
    expect(parseClangDiagnostics('In file included from /virtual/main.c:1:\n')).toEqual([]);
  });

  it('does not carry an include stack across unrelated lines', () => {
    const stderr = `In file included from /virtual/main.c:5:
something else
/other.h:1:1: error: e
`;
    expect(parseClangDiagnostics(stderr)[0]).toMatchObject({ line: 1, file: '/other.h' });
  });
});

describe('formatDiagnostic', () => {
  it('prints FILE:LINE:COL: severity: message', () => {
    const d: SourceDiagnostic = { line: 2, column: 5, severity: 'error', message: 'message' };
    expect(formatDiagnostic('hello.c', d)).toBe('hello.c:2:5: error: message');
    expect(
      formatDiagnostic('hello.c', {
        line: 1,
        column: 1,
        severity: 'error',
        message: "in /etc/hostname:1:1: unknown type name 'sandbox'",
        file: '/etc/hostname',
      }),
    ).toBe("hello.c:1:1: error: in /etc/hostname:1:1: unknown type name 'sandbox'");
    expect(formatDiagnostic('x.c', { ...d, severity: 'note' })).toBe('x.c:2:5: note: message');
  });

  it('formats every parsed diagnostic of a real failure', () => {
    expect(parseClangDiagnostics(TYPO).map((d) => formatDiagnostic('hello.c', d))).toEqual([
      "hello.c:2:5: error: use of undeclared identifier 'bpf_trace_prink'; did you mean 'bpf_trace_printk'?",
      "hello.c:2:5: note: in /virtual/include/bcc/helpers.h:552:5: 'bpf_trace_printk' declared here",
    ]);
  });
});
