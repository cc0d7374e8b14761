"""BCC's own headers, precompiled once per sandbox, so a compile parses only the learner's source.

Every BCC compile puts the same headers before the learner's source: BCC's copy of bpf.h
(280 KB), its helpers.h and the kernel headers they pull in. Its clang parses them three times
per compile (the tracepoint pass, the rewriter pass and the final compile): under software
emulation, about two thirds of a compile of the guide's probe. This module builds a clang
precompiled header (PCH) of them with the guest's own clang, from the very cc1 command BCC runs,
and checks it: a probe compiled with it must give the same bytecode as without. Only then do
compiles use it (`-include-pch`). Anything unexpected (another BCC, another clang, a header it
cannot find) leaves compiles as BCC makes them, only slower.

BCC's headers are not files: libbcc holds them as strings and hands them to clang as in-memory
buffers under /virtual. The PCH is built with the same text (read from libbcc, each found by its
include guard) and with every file's content embedded (`-fmodules-embed-all-files`), which is
also what lets BCC's in-memory copies stand in for them when the PCH is loaded.
"""

import os
import re
import subprocess
import sys
import tempfile

PCH_DIR = '/var/cache/ebpf-lab'
PCH_PATH = f'{PCH_DIR}/bcc-headers.pch'
BUILD_TIMEOUT_S = 300
# BCC's flag that prints the cc1 command of each compile (bcc.DEBUG_PREPROCESSOR).
DEBUG_PREPROCESSOR = 0x4
# BCC's in-memory headers that its -include list and helpers.h reach, by the include guard each
# opens with (BCC's own footer.h comes after the learner's source, so it is not among them).
VIRTUAL_HEADERS = {
    '/virtual/include/bcc/bpf.h': b'#ifndef _UAPI__LINUX_BPF_H__',
    '/virtual/include/bcc/bpf_workaround.h': b'#ifndef __HAVE_BUILTIN_BSWAP16__',
    '/virtual/include/bcc/helpers.h': b'#ifndef __BPF_HELPERS_H',
    '/virtual/include/bcc/proto.h': b'#ifndef __BCC_PROTO_H',
    '/virtual/lib/clang/include/stdarg.h': b'#ifndef __STDARG_H',
}
# The check's probe: BCC's helper macros, a kernel struct through PT_REGS and a formatted print,
# so the headers it compiles against are more than a name.
REFERENCE_SOURCE = r'''#include <uapi/linux/ptrace.h>
int ebpf_lab_reference(struct pt_regs *ctx) {
    char comm[16];
    u64 id = bpf_get_current_pid_tgid();
    bpf_get_current_comm(&comm, sizeof(comm));
    bpf_trace_printk("ebpf-lab %s %d %lx\n", comm, id >> 32, PT_REGS_PARM1(ctx));
    return 0;
}
'''
REFERENCE_FUNCTION = b'ebpf_lab_reference'
# What the cc1 command BCC prints compiles, and to what: replaced by the PCH's input and output.
COMPILE_OUTPUT_ARGS = (('-emit-llvm-bc',), ('-emit-llvm-uselists',), ('-main-file-name', 'main.c'),
                       ('-o', 'main.bc'), ('-x', 'c', '/virtual/main.c'))


def blames_headers(log):
    """Whether clang's output of a failed compile says the precompiled headers were the cause."""
    return PCH_PATH in log or any(words in log for words in ('precompiled', 'PCH file', 'AST file'))


class HeadersUnavailable(Exception):
    """Why this sandbox compiles without the precompiled headers."""


def without_args(args, dropped):
    """`args` without each run of tokens in `dropped`, every one of which must be there once."""
    out = list(args)
    for run in map(tuple, dropped):
        at = next((i for i in range(len(out)) if tuple(out[i:i + len(run)]) == run), None)
        if at is None:
            raise HeadersUnavailable(f'BCC\'s clang command has no {" ".join(run)}')
        del out[at:at + len(run)]
    return out


def header_args(args):
    """BCC's cc1 arguments without what they compile and to what: every flag that shapes how
    the headers parse (target, -D, -I, -include) stays."""
    return without_args(args, COMPILE_OUTPUT_ARGS)


def cc1_args(debug_output):
    """The cc1 arguments of BCC's compile, from what it prints with DEBUG_PREPROCESSOR."""
    lines = [line for line in debug_output.splitlines() if line.startswith('clang -cc1 ')]
    if not lines:
        raise HeadersUnavailable('BCC printed no clang command')
    return lines[0].split()[2:]


def working_directory(args):
    """Where BCC runs clang (its kernel headers' directory): the -include of kconfig.h and the
    -I paths are relative to it, and the driver records it as the debug compilation dir."""
    for arg in args:
        if arg.startswith('-fdebug-compilation-dir='):
            return arg.split('=', 1)[1]
    raise HeadersUnavailable('BCC\'s clang command names no working directory')


def clang_version(args):
    """The major version of BCC's clang (`-resource-dir lib/clang/19`): a PCH loads only into the
    clang that wrote it."""
    match = re.search(r'lib/clang/(\d+)', ' '.join(args))
    if not match:
        raise HeadersUnavailable('BCC\'s clang command names no clang version')
    return match.group(1)


def loaded_library(name):
    """The path of the shared library `name` this process has loaded (libbcc: Debian's, or one
    built from source elsewhere)."""
    with open('/proc/self/maps', encoding='utf-8') as maps:
        for line in maps:
            path = line.split()[-1]
            if os.path.basename(path).startswith(name):
                return path
    raise HeadersUnavailable(f'{name} is not loaded')


def embedded_headers(library_bytes):
    """{virtual path: text} of BCC's in-memory headers: each is the one string in libbcc whose
    first directive is its include guard (after its licence)."""
    found = {path: [] for path in VIRTUAL_HEADERS}
    for text in library_bytes.split(b'\0'):
        directive = next((line for line in text.splitlines() if line.startswith(b'#')), None)
        for path, guard in VIRTUAL_HEADERS.items():
            if directive == guard:
                found[path].append(text)
    for path, texts in found.items():
        if len(texts) != 1:
            raise HeadersUnavailable(f'libbcc holds {len(texts)} copies of {path}')
    return {path: texts[0] for path, texts in found.items()}


def include_pch(path):
    return ['-include-pch', path]


def reference_compile(debug=0, cflags=()):
    """The reference probe's bytecode as BCC compiles it (nothing is loaded)."""
    from bcc import BPF  # here, so the host's tests of the pure parts need no BCC

    b = BPF(text=REFERENCE_SOURCE, debug=debug, cflags=list(cflags))
    try:
        return b.dump_func(REFERENCE_FUNCTION)
    finally:
        b.cleanup()


def reference_compile_with(pch, capture):
    """The reference probe's bytecode compiled with the PCH at `pch`."""
    log = []
    try:
        with capture(log):
            return reference_compile(cflags=include_pch(pch))
    except Exception as err:
        raise HeadersUnavailable('clang could not use them: '
                                 + ''.join(log).strip()[-300:]) from err


def precompile(args, headers, scratch):
    """Runs BCC's clang, as BCC would for a source, to write a PCH of the headers BCC includes
    into `scratch`; returns its path."""
    clang = f'/usr/bin/clang-{clang_version(args)}'
    if not os.access(clang, os.X_OK):
        raise HeadersUnavailable(f'{clang} is not installed')
    remaps = []
    for path, text in headers.items():
        copy = os.path.join(scratch, path.lstrip('/'))
        os.makedirs(os.path.dirname(copy), exist_ok=True)
        with open(copy, 'wb') as f:
            f.write(text)
        remaps += ['-remap-file', f'{path};{copy}']
    empty = os.path.join(scratch, 'empty.h')
    open(empty, 'wb').close()
    pch = os.path.join(scratch, 'bcc-headers.pch')
    command = ([clang, '-cc1'] + header_args(args) + remaps
               + ['-fmodules-embed-all-files', '-emit-pch', '-o', pch, '-x', 'c-header', empty])
    done = subprocess.run(command, cwd=working_directory(args), capture_output=True, text=True,
                          timeout=BUILD_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise HeadersUnavailable('clang could not precompile them: '
                                 + (done.stderr or done.stdout).strip()[:300])
    return pch


def build_checked(capture):
    """Builds the PCH and moves it to PCH_PATH once a probe compiled with it gives the bytecode
    it gives without; raises HeadersUnavailable (or what BCC raises) otherwise."""
    printed = []
    with capture(printed):
        plain = reference_compile(debug=DEBUG_PREPROCESSOR)
    args = cc1_args(''.join(printed))
    with open(loaded_library('libbcc.so'), 'rb') as library:
        headers = embedded_headers(library.read())
    os.makedirs(PCH_DIR, mode=0o700, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=PCH_DIR) as scratch:
        pch = precompile(args, headers, scratch)
        if reference_compile_with(pch, capture) != plain:
            raise HeadersUnavailable('a probe compiled with them gave other bytecode')
        os.replace(pch, PCH_PATH)


class PrecompiledHeaders:
    """The PCH of BCC's headers for this sandbox: built and checked by the worker's warm-up (or
    at its first idle moment), so a template carries it, then in `cflags()` of every compile
    until one fails because of it. PCH_PATH exists exactly while compiles use it."""

    def __init__(self):
        self.state = 'not built'  # 'not built', 'ready', or 'off: <why>'

    def cflags(self):
        return include_pch(PCH_PATH) if self.state == 'ready' else []

    def set_state(self, state):
        self.state = state
        # To the worker's stderr, which the agent keeps (and shows with a crash report).
        print(f'BCC headers precompiled: {state}', file=sys.stderr, flush=True)

    def turn_off(self, why):
        self.set_state(f'off: {why}')
        try:
            os.unlink(PCH_PATH)
        except FileNotFoundError:
            pass

    def build(self, capture):
        """Builds and checks the PCH, once. `capture(box)` is a context manager that captures
        what fds 1 and 2 get into `box` (BCC prints its clang command there)."""
        if self.state != 'not built':
            return
        if os.path.exists(PCH_PATH):
            # Built and checked by an earlier worker of this sandbox (one that crashed), as only a
            # checked PCH is moved there. One spoiled since fails a compile, which turns it off.
            self.set_state('ready')
            return
        try:
            build_checked(capture)
            self.set_state('ready')
        except HeadersUnavailable as why:
            self.turn_off(str(why))
        except Exception as err:  # noqa: BLE001 - BCC raises plain Exception; off, not fatal
            self.turn_off(f'{type(err).__name__}: {str(err)[:300]}')
