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

A source's own `#include <...>` lines cost more still: `<linux/fs.h>` is 26-28 s of a compile
under emulation. A source that opens with includes no PCH covers yet is compiled as it is, and
then, in the background, the same clang precompiles BCC's headers followed by those includes
(about 13 s, once per sandbox); once a compile with that PCH gives the source's bytecode, every
source opening with the same includes compiles with it (2-4 s). The includes' own guards make the
source's `#include` lines no-ops after the PCH.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import OrderedDict

PCH_DIR = '/var/cache/ebpf-lab'
PCH_PATH = f'{PCH_DIR}/bcc-headers.pch'
BUILD_TIMEOUT_S = 300
# PCHs of sources' includes kept per sandbox: each is 10-15 MB of the sandbox's files (its tmpfs).
INCLUDES_PCH_LIMIT = 4
# A compile this many times slower than the sandbox's fastest spent its time in its includes:
# only then is a PCH of them worth its build (a source whose includes the PCH it used already
# pulls in, or that are small, compiles about as fast as one without).
SLOW_COMPILE_RATIO = 3
# The build of an includes PCH goes by the worker's name, so a learner's probe that sees it
# (it opens hundreds of headers) tags it as the lab's: a link to clang under that name.
BUILDER_NAME = 'ebpf-lab-bcc'
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
    return PCH_DIR in log or any(words in log for words in ('precompiled', 'PCH file', 'AST file'))


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


def precompile_command(recipe, scratch, text=b'', clang=None):
    """The clang command that writes a PCH of BCC's headers followed by `text` (a source's
    includes) into `scratch`, as BCC's own clang command would parse them; and the PCH's path."""
    args, headers = recipe
    clang = clang or f'/usr/bin/clang-{clang_version(args)}'
    if not os.access(clang, os.X_OK):
        raise HeadersUnavailable(f'{clang} is not installed')
    remaps = []
    for path, header in headers.items():
        copy = os.path.join(scratch, path.lstrip('/'))
        os.makedirs(os.path.dirname(copy), exist_ok=True)
        with open(copy, 'wb') as f:
            f.write(header)
        remaps += ['-remap-file', f'{path};{copy}']
    prelude = os.path.join(scratch, 'prelude.h')
    with open(prelude, 'wb') as f:
        f.write(text)
    pch = os.path.join(scratch, 'headers.pch')
    return ([clang, '-cc1'] + header_args(args) + remaps
            + ['-fmodules-embed-all-files', '-emit-pch', '-o', pch, '-x', 'c-header', prelude]), pch


def precompile(recipe, scratch):
    """Runs BCC's clang, as BCC would for a source, to write a PCH of the headers BCC includes
    into `scratch`; returns its path."""
    command, pch = precompile_command(recipe, scratch)
    done = subprocess.run(command, cwd=working_directory(recipe[0]), capture_output=True,
                          text=True, timeout=BUILD_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise HeadersUnavailable('clang could not precompile them: '
                                 + (done.stderr or done.stdout).strip()[:300])
    return pch


def read_recipe(capture):
    """What a PCH is built from: the cc1 arguments of BCC's compile (printed by a compile of the
    reference probe) and BCC's in-memory headers; with the reference probe's bytecode."""
    printed = []
    with capture(printed):
        plain = reference_compile(debug=DEBUG_PREPROCESSOR)
    args = cc1_args(''.join(printed))
    with open(loaded_library('libbcc.so'), 'rb') as library:
        headers = embedded_headers(library.read())
    return (args, headers), plain


def build_checked(capture):
    """Builds the PCH and moves it to PCH_PATH once a probe compiled with it gives the bytecode
    it gives without; raises HeadersUnavailable (or what BCC raises) otherwise. Returns the
    recipe, for PCHs of sources' includes."""
    recipe, plain = read_recipe(capture)
    os.makedirs(PCH_DIR, mode=0o700, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=PCH_DIR) as scratch:
        pch = precompile(recipe, scratch)
        if reference_compile_with(pch, capture) != plain:
            raise HeadersUnavailable('a probe compiled with them gave other bytecode')
        os.replace(pch, PCH_PATH)
    return recipe


# ---------------------------------------------------------------------- a source's includes

INCLUDE_LINE = re.compile(r'#\s*include\s*<([^<>]+)>\s*(//.*)?$')


def include_prefix(source):
    """The `#include <...>` lines `source` opens with, blank lines and comments between them
    skipped, as a tuple: what a PCH can stand in for. Anything else (a #define, a quoted
    include, code) ends them: it could change what a later include means."""
    lines = []
    in_comment = False
    for line in source.splitlines():
        text = line.strip()
        while text:  # drop the comments the line opens with
            if in_comment:
                end = text.find('*/')
                in_comment, text = end < 0, ('' if end < 0 else text[end + 2:].strip())
            elif text.startswith('/*'):
                in_comment, text = True, text[2:]
            elif text.startswith('//'):
                text = ''
            else:
                break
        if not text:
            continue
        match = INCLUDE_LINE.match(text)
        if not match:
            break
        lines.append(f'#include <{match.group(1)}>')
    return tuple(lines)


# A 64-bit load (BPF_LD | BPF_DW | BPF_IMM) whose source register marks its immediate as a map's
# fd (BPF_PSEUDO_MAP_FD, _VALUE, _IDX, _IDX_VALUE): BCC writes the fd of the map it created.
LOAD_IMM64 = 0x18
MAP_REFERENCES = (1, 2, 5, 6)


def without_map_fds(code):
    """A function's bytecode with the map fds in it zeroed: two compiles of one source create
    their maps anew, under other fds, and are otherwise the same."""
    out = bytearray(code)
    for at in range(0, len(out) - 15, 8):
        if out[at] == LOAD_IMM64 and out[at + 1] >> 4 in MAP_REFERENCES:
            out[at + 4:at + 8] = bytes(4)
    return bytes(out)


def includes_text(prefix):
    return ''.join(f'{line}\n' for line in prefix).encode()


def includes_pch_path(prefix):
    digest = hashlib.sha256(includes_text(prefix)).hexdigest()[:16]
    return f'{PCH_DIR}/includes-{digest}.pch'


def includes_pchs():
    try:
        return [name for name in os.listdir(PCH_DIR) if name.startswith('includes-')]
    except FileNotFoundError:
        return []


class IncludesBuild:
    """One PCH of a source's includes being built by clang in the background."""

    def __init__(self, prefix, source, bytecode, recipe, on_done):
        self.prefix, self.source, self.bytecode = prefix, source, bytecode
        self.scratch = tempfile.mkdtemp(dir=PCH_DIR, prefix='building-')
        builder = os.path.join(self.scratch, BUILDER_NAME)
        args = recipe[0]
        os.symlink(f'/usr/bin/clang-{clang_version(args)}', builder)
        command, self.pch = precompile_command(recipe, self.scratch, includes_text(prefix),
                                               clang=builder)
        self.log = open(os.path.join(self.scratch, 'clang.log'), 'w+b')
        self.proc = subprocess.Popen(command, cwd=working_directory(args), stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)

        def wait():
            self.proc.wait()
            on_done()

        threading.Thread(target=wait, daemon=True).start()

    def done(self):
        return self.proc.poll() is not None

    def failure(self):
        """clang's complaint, or None when it wrote the PCH."""
        if self.proc.returncode == 0:
            return None
        self.log.seek(0)
        return f'clang exited with {self.proc.returncode}: ' + \
            self.log.read().decode(errors='replace').strip()[-300:]

    def discard(self):
        if not self.done():
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


class PrecompiledHeaders:
    """This sandbox's PCHs: BCC's headers, built and checked by the worker's warm-up (or at its
    first idle moment), so a template carries it; and BCC's headers with the includes of sources
    compiled since, built in the background. `cflags(source)` names the one that covers most of
    a source's includes. A PCH's path exists exactly while compiles use it."""

    def __init__(self, on_built=lambda: None):
        self.state = 'not built'  # of BCC's headers: 'not built', 'ready', or 'off: <why>'
        self.on_built = on_built  # called from another thread when a build's clang exits
        self.recipe = None
        self.wanted = OrderedDict()  # includes prefix -> (source, its bytecode), oldest first
        self.building = None
        self.refused = set()  # paths of includes PCHs that failed to build, check or load
        self.fastest_compile_s = None
        for name in os.listdir(PCH_DIR) if os.path.isdir(PCH_DIR) else []:
            if name.startswith('building-'):  # left by a worker that crashed mid-build
                shutil.rmtree(os.path.join(PCH_DIR, name), ignore_errors=True)

    def cflags(self, source=''):
        if self.state != 'ready':
            return []
        prefix = include_prefix(source)
        for n in range(len(prefix), 0, -1):
            path = includes_pch_path(prefix[:n])
            if os.path.exists(path):
                return include_pch(path)
        return include_pch(PCH_PATH)

    def set_state(self, state):
        self.state = state
        report(f'BCC headers precompiled: {state}')

    def turn_off(self, why):
        self.set_state(f'off: {why}')
        try:
            os.unlink(PCH_PATH)
        except FileNotFoundError:
            pass

    def refuse(self, cflags, why):
        """A compile failed because of the PCH `cflags` name, and worked without: that one goes."""
        path = cflags[-1]
        if path == PCH_PATH:
            self.turn_off(why)
            return
        self.refused.add(path)
        report(f'{path}: off: {why}')
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass

    def build(self, capture):
        """Builds and checks the PCH of BCC's headers, once. `capture(box)` is a context manager
        that captures what fds 1 and 2 get into `box` (BCC prints its clang command there)."""
        if self.state != 'not built':
            return
        if os.path.exists(PCH_PATH):
            # Built and checked by an earlier worker of this sandbox (one that crashed), as only a
            # checked PCH is moved there. One spoiled since fails a compile, which turns it off.
            self.set_state('ready')
            return
        try:
            self.recipe = build_checked(capture)
            self.set_state('ready')
        except HeadersUnavailable as why:
            self.turn_off(str(why))
        except Exception as err:  # noqa: BLE001 - BCC raises plain Exception; off, not fatal
            self.turn_off(f'{type(err).__name__}: {str(err)[:300]}')

    # ------------------------------------------------------------------ sources' includes

    def learn(self, source, seconds, bytecode):
        """After a compile of `source` that took `seconds`: when its includes made it slow and
        no PCH has them all, queues one. `bytecode()` gives what it compiled to, the check."""
        fastest = self.fastest_compile_s
        self.fastest_compile_s = seconds if fastest is None else min(fastest, seconds)
        if fastest is not None and seconds < SLOW_COMPILE_RATIO * fastest:
            return
        prefix = include_prefix(source)
        path = includes_pch_path(prefix) if prefix else None
        if (path is None or self.state != 'ready' or path in self.refused
                or prefix in self.wanted or (self.building and self.building.prefix == prefix)
                or os.path.exists(path) or len(includes_pchs()) >= INCLUDES_PCH_LIMIT):
            return
        self.wanted[prefix] = (source, bytecode())
        while len(self.wanted) > INCLUDES_PCH_LIMIT:
            self.wanted.popitem(last=False)

    def at_idle(self, capture, bytecode_of):
        """What the worker does when no message waits: checking the includes PCH clang has
        written, and starting the next. `bytecode_of(source, cflags)` compiles a source and
        gives its bytecode."""
        if self.building and self.building.done():
            self.finish_includes(bytecode_of)
        if self.building is None and self.wanted and self.state == 'ready':
            prefix, (source, bytecode) = self.wanted.popitem(last=False)
            try:
                if self.recipe is None:  # BCC's headers were built by an earlier worker
                    self.recipe, _ = read_recipe(capture)
                self.building = IncludesBuild(prefix, source, bytecode, self.recipe,
                                              self.on_built)
            except Exception as err:  # noqa: BLE001 - not fatal: compiles go on without it
                self.refuse_includes(prefix, f'{type(err).__name__}: {str(err)[:300]}')

    def await_build_for(self, source, bytecode_of):
        """Before a compile of `source`: when clang is precompiling its includes, waits for that
        and its check, which is sooner than a compile without it would end."""
        if self.building and include_prefix(source)[:len(self.building.prefix)] == \
                self.building.prefix:
            self.building.proc.wait()
            self.finish_includes(bytecode_of)

    def finish_includes(self, bytecode_of):
        build, self.building = self.building, None
        try:
            why = build.failure()
            if why is None and bytecode_of(build.source, include_pch(build.pch)) != build.bytecode:
                why = 'a compile with it gave other bytecode'
            if why is None:
                os.replace(build.pch, includes_pch_path(build.prefix))
                report(f'includes precompiled ({" ".join(build.prefix)}): ready')
        except Exception as err:  # noqa: BLE001 - BCC raises plain Exception
            why = f'{type(err).__name__}: {str(err)[:300]}'
        finally:
            build.discard()
        if why is not None:
            self.refuse_includes(build.prefix, why)

    def refuse_includes(self, prefix, why):
        self.refused.add(includes_pch_path(prefix))
        report(f'includes precompiled ({" ".join(prefix)}): off: {why}')

    def close(self):
        """Stops a build in flight (the worker is exiting)."""
        if self.building:
            self.building.discard()
            self.building = None


def report(text):
    # To the worker's stderr, which the agent keeps (and shows with a crash report).
    print(text, file=sys.stderr, flush=True)
