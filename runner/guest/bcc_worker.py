#!/usr/bin/env python3
"""ebpf-lab BCC worker: compiles, loads and attaches learner probes and streams trace_pipe.

Started by the agent ahead of need so `import bcc` (and clang's first compile) is paid once per
sandbox, not once per run. Reads `run`, `stop` and `prepare` host messages on stdin and writes
protocol agent messages on stdout; the agent forwards them. One run at a time: a new run stops
the old.

After a stop the probes are detached but the program stays loaded, so the kernel's copy can be
inspected (bpftool), and map-free programs stay cached by source hash: running the same text
again, or text compiled ahead with `prepare`, skips clang entirely.
"""

import ctypes
import errno
import faulthandler
import hashlib
import json
import os
import queue
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import OrderedDict
from contextlib import contextmanager

TRACING = '/sys/kernel/debug/tracing'
AUTO_ATTACH_PREFIXES = ('kprobe__', 'kretprobe__', 'tracepoint__', 'raw_tracepoint__',
                        'kfunc__', 'kretfunc__', 'lsm__')
TRACE_BATCH_LINES = 1024
# A pause after each batch sent. Every batch the lab forwards is a write() of its own (the
# worker's, then the agent's), so a probe printing on write() (or read, or any syscall the lab
# makes) sees it: read again at once, those lines fed each other as fast as the CPU went, and the
# learner's run ended at the line limit within seconds. With the pause, the lab's own lines are
# a few per pause, and a real flood goes out in fewer, bigger batches.
TRACE_COALESCE_S = 0.05
TRACE_PIPE_RETRY_S = 1.0
PROGRAM_CACHE_SIZE = 8

_out = sys.stdout.buffer
_out_lock = threading.Lock()
LIBC = ctypes.CDLL(None, use_errno=True)


def send(message):
    data = (json.dumps(message, separators=(',', ':')) + '\n').encode()
    with _out_lock:
        _out.write(data)
        _out.flush()


# Anything BCC or clang prints must not corrupt the message stream on stdout.
sys.stdout = sys.stderr

from bcc import BPF  # noqa: E402 - after the stdout guard, on purpose
from bcc.libbcc import lib  # noqa: E402
from run_outputs import RunOutputs  # noqa: E402 - imports bcc too
from kernel_symbols import KernelSymbols  # noqa: E402
import attach_hints  # noqa: E402
from bcc_headers import PrecompiledHeaders, blames_headers, without_map_fds  # noqa: E402
from trace_tasks import TraceTasks  # noqa: E402


def set_comm(name):
    """Names this process (its threads inherit the name) so the learner's probes show its work
    under the lab's name, which the host marks as the lab's, not as one more `python3`."""
    LIBC.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME


class LabBPF(BPF):
    """BCC's BPF without the constructor's auto-attach of kprobe__ and tracepoint__ functions:
    the worker loads every program, reads it for the bytecode view and opens the run's buffers
    first, and attaches last, so none of that fires the learner's probes."""

    def _trace_autoload(self):
        pass

    def autoload(self):
        BPF._trace_autoload(self)


# The auto-attach functions loaded ahead of any attach; kfunc, kretfunc and lsm load as they attach.
PRELOADED_PREFIXES = ('kprobe__', 'kretprobe__', 'tracepoint__', 'raw_tracepoint__')
# What a compile-ahead loads for when its message has no attach points (the CLI, the warm-up).
DEFAULT_ATTACH = [{'kind': 'kprobe', 'target': 'clone'}]


class RunFailure(Exception):
    def __init__(self, kind, message, log=''):
        super().__init__(message)
        self.kind, self.message, self.log = kind, message, log


# Where fd 2 is captured while BCC works: a named file the agent chose (--stderr-file), so that
# when clang or LLVM kills this process mid-compile the agent can still read what they said.
CAPTURED_STDERR = (sys.argv[sys.argv.index('--stderr-file') + 1] if '--stderr-file' in sys.argv
                   else os.path.join(tempfile.gettempdir(), f'ebpf-lab-bcc-{os.getpid()}.stderr'))


@contextmanager
def captured_stderr(box):
    """Captures what the C++ side of BCC (clang, LLVM, libbpf) writes to fd 2. The file is
    emptied after each capture, so it only ever holds the one in flight."""
    sys.stderr.flush()
    os.makedirs(os.path.dirname(CAPTURED_STDERR), exist_ok=True)
    saved = os.dup(2)
    fd = os.open(CAPTURED_STDERR, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.lseek(fd, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        os.ftruncate(fd, 0)
        os.close(fd)
        box.append(b''.join(chunks).decode('utf-8', errors='replace'))


@contextmanager
def captured_output(box):
    """captured_stderr, with fd 1 too: BCC's debug output goes to both (clang's command to fd 2,
    its kernel directory to C++'s cout), and fd 1 carries the lab's messages, so none is sent
    meanwhile and C's buffered stdout is flushed into the capture, not after it."""
    with _out_lock, captured_stderr(box):
        saved = os.dup(1)
        os.dup2(2, 1)
        try:
            yield
        finally:
            LIBC.fflush(None)
            os.dup2(saved, 1)
            os.close(saved)


PRINTK_EVENT = 'events/bpf_trace/bpf_trace_printk'
# Files that limit trace events or the function tracer to some processes: empty is "all".
PID_FILTERS = ('set_event_pid', 'set_event_notrace_pid', 'set_ftrace_pid', 'set_ftrace_notrace_pid')


def read_tracefs(name):
    try:
        with open(f'{TRACING}/{name}', encoding='utf-8') as f:
            return f.read()
    except OSError:
        return None


def write_tracefs(name, text):
    """Opening for writing truncates: '' clears a pid list, a filter or the trace buffer."""
    try:
        with open(f'{TRACING}/{name}', 'w', encoding='utf-8') as f:
            f.write(text)
        return True
    except OSError:
        return False


def reset_tracefs():
    """Puts tracefs back to a known state before a Run: tracing on, the `nop` tracer, no trace
    events but the one bpf_trace_printk() writes through, no pid or event filter, the buffer
    empty. A learner is root in the shell and may have turned on the function tracer or every
    event (lines that are not theirs) or tracing off (no lines at all). Returns what it had to
    change, in words; nothing in the usual case."""
    changed = []
    tracer = (read_tracefs('current_tracer') or 'nop').strip()
    if tracer != 'nop' and write_tracefs('current_tracer', 'nop'):
        changed.append(f'the {tracer} tracer was on (now nop)')
    if (read_tracefs('tracing_on') or '1').strip() == '0' and write_tracefs('tracing_on', '1'):
        changed.append('tracing was off (now on)')
    enabled = [e for e in (read_tracefs('set_event') or '').split()
               if e != 'bpf_trace:bpf_trace_printk']
    if enabled and write_tracefs('events/enable', '0'):
        changed.append(f'{len(enabled)} other trace event(s) were enabled (now off)')
    for name in PID_FILTERS:
        if (read_tracefs(name) or '').strip() not in ('', 'no pid') and write_tracefs(name, ''):
            changed.append(f'{name} limited tracing to some processes (now cleared)')
    event_filter = (read_tracefs(PRINTK_EVENT + '/filter') or 'none').strip()
    if event_filter != 'none' and write_tracefs(PRINTK_EVENT + '/filter', '0'):
        changed.append(f'bpf_trace_printk had the filter "{event_filter[:80]}" (now none)')
    # Loading a program that prints turns this event on; events/enable=0 above or the
    # learner may have turned it off since, and a cached program is not loaded again.
    if (read_tracefs(PRINTK_EVENT + '/enable') or '1').strip() == '0':
        write_tracefs(PRINTK_EVENT + '/enable', '1')
    write_tracefs('trace', '')
    return changed


def function_names(b):
    return [lib.bpf_function_name(b.module, i).decode()
            for i in range(lib.bpf_num_functions(b.module))]


def bytecode(b):
    """What clang made of each function of a compiled module (nothing is loaded), as two
    compiles of one source are compared: the fds of the maps each created left out."""
    return {name: without_map_fds(b.dump_func(name)) for name in function_names(b)}


def compiled_bytecode(source, cflags):
    """The bytecode of `source` compiled with `cflags`: the check of a PCH."""
    with captured_stderr([]):
        b = LabBPF(text=source, cflags=cflags)
    try:
        return bytecode(b)
    finally:
        b.cleanup()


def plain(text):
    """BCC's messages without Python's bytes noise: `b'kill'` reads as `kill`."""
    return re.sub(r"""\bb(['"])(.*?)\1""", r'\2', text)


def kernel_functions():
    """The functions kprobes can attach to."""
    try:
        with open(f'{TRACING}/available_filter_functions', encoding='utf-8') as f:
            return {line.split()[0] for line in f if line.strip()}
    except OSError:
        return set()


def syscall_names(functions):
    """The syscalls among kernel functions, without the arch prefix (__x64_sys_clone -> clone)."""
    prefix = next((p.decode() for p in BPF._syscall_prefixes  # noqa: SLF001 - BCC's own list
                   if BPF.ksymname(p + b'bpf') != -1), '')
    return {f[len(prefix):] for f in functions if f.startswith(prefix)}


def missing_function(target):
    """The message for a kprobe target this kernel does not have, with the nearest names."""
    functions = kernel_functions()
    return attach_hints.missing_function(target, functions, syscall_names(functions),
                                         os.uname().release)


def untraceable_function(target):
    """The message for a kprobe target the kernel has but ftrace cannot hook, or None when it can
    (then the attach failed for another reason, and BCC's own words say which)."""
    functions = kernel_functions()
    if not functions or target in functions:
        return None
    return attach_hints.untraceable_function(target, functions, f'{TRACING}/events',
                                             os.uname().release)


def missing_tracepoint(target):
    """The message for a tracepoint this kernel does not have, with the nearest names."""
    return attach_hints.missing_tracepoint(target, f'{TRACING}/events', os.uname().release,
                                           kernel_functions())


def resolve_kernel_function(b, target):
    """Like BCC's get_syscall_fnname, but checked: a syscall name first, then a kernel function."""
    syscall = b.get_syscall_fnname(target.encode())
    if BPF.ksymname(syscall) != -1:
        return syscall.decode()
    if BPF.ksymname(target.encode()) != -1:
        return target
    raise RunFailure('attach', missing_function(target))


def detach_all(b):
    """Detaches every probe BCC attached (ours and auto-attached), leaving programs loaded."""
    for event in list(b.kprobe_fds):
        b.detach_kprobe_event(event)
    for tp in list(b.tracepoint_fds):
        b.detach_tracepoint(tp)
    for tp in list(b.raw_tracepoint_fds):
        b.detach_raw_tracepoint(tp)
    for fn in list(getattr(b, 'kfunc_entry_fds', {})):
        b.detach_kfunc(fn)
    for fn in list(getattr(b, 'kfunc_exit_fds', {})):
        b.detach_kretfunc(fn)
    for fn in list(getattr(b, 'lsm_fds', {})):
        b.detach_lsm(fn)


def tracepoint_fields(category, event):
    """`type name` for each field of a tracepoint's format file, BCC's `args->` members."""
    try:
        with open(f'{TRACING}/events/{category}/{event}/format', encoding='utf-8') as f:
            text = f.read()
    except OSError:
        return []
    fields = re.findall(r'field:([^;]+);', text)
    return [field.strip() for field in fields if not field.split()[-1].startswith('common_')]


TRACEPOINT_STRUCT = re.compile(
    r"^(\S+:\d+:\d+): error: .*'struct tracepoint__(\w+?)__(\w+)'")
CARET_LINE = re.compile(r'^\s*(?:\d*\s*\|)?[ \t~^]*\^[ \t~^]*$')


def tracepoint_note(line):
    """A note for clang's error about a TRACEPOINT_PROBE's `args` struct: the tracepoint's real
    fields from its format file (`no member named 'x'`), or that it does not exist here."""
    match = TRACEPOINT_STRUCT.match(line)
    if not match:
        return None
    where, category, event = match.groups()
    if not os.path.isdir(f'{TRACING}/events/{category}/{event}'):
        return f'{where}: note: {missing_tracepoint(f"{category}:{event}")}'
    fields = tracepoint_fields(category, event)
    if 'no member named' not in line or not fields:
        return None
    return f'{where}: note: {category}:{event} has the fields: {", ".join(fields)}'


def with_tracepoint_fields(log):
    """Adds tracepoint_note's notes to a compile log, each after its error's quoted source line
    and caret."""
    lines = log.split('\n')
    out, pending = [], {}
    for i, line in enumerate(lines):
        out.append(line)
        note = tracepoint_note(line)
        if note:
            quoted = (i + 2 < len(lines) and CARET_LINE.match(lines[i + 2])
                      and not CARET_LINE.match(lines[i + 1]))
            pending.setdefault(i + 2 if quoted else i, note)
        if i in pending:
            out.append(pending.pop(i))
    return '\n'.join(out)


def classify_bcc_error(err, log):
    text = plain(str(err))
    if 'Failed to compile BPF module' in text or 'Failed to compile BPF text' in text:
        return RunFailure('compile', 'The C source did not compile.', with_tracepoint_fields(log))
    if 'Failed to load BPF program' in text:
        name = re.search(r"program ([A-Za-z0-9_]+)", text)
        which = f' "{name.group(1)}"' if name else ''
        return RunFailure('verifier', f'The kernel verifier rejected program{which}.', log)
    # BCC 0.31 goes on after the name (`..., it's not traceable`), hence no commas in it.
    attach = re.search(r'Failed to attach BPF program (\w+) to (kprobe|kretprobe) ([^\s,]+)', text)
    if attach and BPF.ksymname(attach.group(3).encode()) == -1:
        # BCC's kprobe__NAME functions attach to NAME while BPF() compiles them.
        return RunFailure('attach', f'{attach.group(1)}: ' + missing_function(attach.group(3)),
                          log)
    untraceable = attach and untraceable_function(attach.group(3))
    if untraceable:
        return RunFailure('attach', f'{attach.group(1)}: {untraceable}', log)
    tracepoint = re.search(r'Failed to attach BPF program (\w+) to tracepoint (\S+)', text)
    if tracepoint:
        return RunFailure('attach', f'{tracepoint.group(1)}: '
                          + missing_tracepoint(tracepoint.group(2)), log)
    if 'Failed to attach' in text or 'attach' in text.lower():
        return RunFailure('attach', text, log)
    return RunFailure('internal', text, log)


# What BCC prints, instead of the verifier's log, when the kernel refuses a load with E2BIG.
BCC_TOO_LARGE = re.compile(r'^bpf: .*Program .*too large \(\d+ insns\), at most \d+ insns\n*',
                           re.MULTILINE)
# The verifier's error and its statistics, without a line per instruction checked (a program
# that exhausts the verifier's budget would log a million of them).
BPF_LOG_STATS = 4
VERIFIER_LOG_BYTES = 1 << 16


def verifier_words(b, name, prog_type):
    """The kernel verifier's own words for a function BCC failed to load with E2BIG.

    For E2BIG, BCC returns before it asks the kernel for the log and says "Program too large
    (29 insns), at most 4096 insns" instead: wrong for a short program, which the verifier gave
    up on because checking it took too many steps (a loop whose end it cannot see). So load
    it once more with a log buffer of our own, which the kernel fills before BCC returns."""
    key = name.encode()
    log = ctypes.create_string_buffer(VERIFIER_LOG_BYTES)
    with captured_stderr([]):  # BCC's misleading line again: not for the learner
        fd = lib.bcc_func_load(b.module, prog_type, key, lib.bpf_function_start(b.module, key),
                               lib.bpf_function_size(b.module, key),
                               lib.bpf_module_license(b.module),
                               lib.bpf_module_kern_version(b.module), BPF_LOG_STATS, log,
                               len(log), None, -1)
    if fd >= 0:
        os.close(fd)  # accepted this time: nothing to add
        return ''
    return log.value.decode('utf-8', errors='replace')


# The names the lab's own processes go by (the agent passes them): their lines are tagged [lab]
# on the host, and do not use up the learner's trace line limit.
TRACE_TASKS = TraceTasks(sys.argv[sys.argv.index('--lab-tasks') + 1].split(',')
                         if '--lab-tasks' in sys.argv else ())


def prog_id_of(fd):
    """The kernel's id for a program fd, from /proc/self/fdinfo."""
    try:
        with open(f'/proc/self/fdinfo/{fd}', encoding='ascii') as f:
            for line in f:
                if line.startswith('prog_id:'):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def open_trace_pipe():
    """trace_pipe opened for reading, or None while another process holds it (EBUSY)."""
    try:
        return os.open(f'{TRACING}/trace_pipe', os.O_RDONLY | os.O_NONBLOCK)
    except OSError as err:
        if err.errno == errno.EBUSY:
            return None
        raise


def trace_pipe_readers():
    """The processes holding trace_pipe open, as [{'pid', 'command'}]: who gets the lines."""
    readers = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            fds = os.listdir(f'/proc/{entry}/fd')
            holds = any(os.readlink(f'/proc/{entry}/fd/{fd}').endswith('tracing/trace_pipe')
                        for fd in fds)
            if not holds:
                continue
            with open(f'/proc/{entry}/cmdline', 'rb') as f:
                argv = f.read().rstrip(b'\0').split(b'\0')
        except OSError:
            continue  # gone meanwhile, or an fd closed between listdir and readlink
        command = ' '.join(arg.decode('utf-8', errors='replace') for arg in argv)
        readers.append({'pid': int(entry), 'command': command[:256]})
    return readers[:8]


TOOL_TIMEOUT_S = 30


def run_tool(argv, name=None):
    """('ok' | 'failed' | 'timeout', what the tool printed: its errors too when it failed). A
    tool that does not finish in time (a sandbox starved of CPU by many others) gives a line
    saying so: the dumps are there for the learner to read, and must not fail the run they
    describe. `name` is the tool to name in that line (argv[0] unless it only starts the tool)."""
    name = name or os.path.basename(argv[0])
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S,
                                check=False)
    except subprocess.TimeoutExpired:
        return 'timeout', (f'{name} did not finish within {TOOL_TIMEOUT_S} s (the sandbox is '
                           'short of CPU), so this is not shown. Run again to see it.\n')
    except OSError as err:
        return 'failed', f'{name} could not start: {err}\n'
    if result.returncode == 0:
        return 'ok', result.stdout
    return 'failed', result.stdout + result.stderr


def tool_output(argv):
    return run_tool(argv)[1]


SYS_BPF = 321  # x86-64
BPF_OBJ_GET_INFO_BY_FD = 15


def prog_info_array(fd, len_offset, ptr_offset):
    """An array the kernel keeps for a program fd (its JIT image, its verified instructions),
    through bpf(BPF_OBJ_GET_INFO_BY_FD): asked once for its length, then for its bytes. The
    offsets are those of the array's length and pointer in struct bpf_prog_info."""
    info = ctypes.create_string_buffer(256)

    def get_info():
        attr = struct.pack('=IIQ', fd, len(info), ctypes.addressof(info)).ljust(128, b'\0')
        attr_buf = ctypes.create_string_buffer(attr, len(attr))
        if LIBC.syscall(SYS_BPF, BPF_OBJ_GET_INFO_BY_FD, attr_buf, len(attr)) != 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))

    get_info()
    length = struct.unpack_from('=I', info, len_offset)[0]
    if length == 0:
        return b''
    data = ctypes.create_string_buffer(length)
    ctypes.memset(info, 0, len(info))
    struct.pack_into('=I', info, len_offset, length)
    struct.pack_into('=Q', info, ptr_offset, ctypes.addressof(data))
    get_info()
    return data.raw[:length]


def jit_image(fd):
    """The JIT's machine code for a program fd: Debian's bpftool is built without libbfd and
    refuses to dump it. struct bpf_prog_info: jited_prog_len at 16, jited_prog_insns at 24."""
    return prog_info_array(fd, 16, 24)


def xlated_insns(fd):
    """The verified instructions: struct bpf_prog_info's xlated_prog_len at 20,
    xlated_prog_insns at 32."""
    return prog_info_array(fd, 20, 32)


KERNEL_SYMBOLS = KernelSymbols()
# bpftool opens /proc/kallsyms by that name, so a dump's own small copy is put there in a mount
# namespace of the dump's own (busybox's unshare makes its mounts private: nothing else sees it).
# busybox is static: its processes start in a fraction of util-linux's time under emulation.
WITH_KALLSYMS = '"$0" mount -o bind "$1" /proc/kallsyms && shift && exec "$@"'


def dump_xlated(fd, prog_id):
    """`bpftool prog dump xlated id N linum`, given only the kallsyms lines it needs to name the
    calls (see kernel_symbols.py); the plain command, slow but the same text, when that cannot
    be done."""
    argv = ['bpftool', 'prog', 'dump', 'xlated', 'id', str(prog_id), 'linum']
    busybox = shutil.which('busybox')
    try:
        symbols = KERNEL_SYMBOLS.for_dump(xlated_insns(fd)) if busybox else None
    except OSError:
        symbols = None
    if symbols is not None:
        with tempfile.NamedTemporaryFile(prefix='kallsyms-') as tmp:
            tmp.write(symbols)
            tmp.flush()
            status, text = run_tool([busybox, 'unshare', '-m', busybox, 'sh', '-c',
                                     WITH_KALLSYMS, busybox, tmp.name] + argv, name='bpftool')
        # Failed (no unshare in this busybox, a mount refused...): the plain command says why,
        # if it fails too. Timed out: the plain one would only take longer.
        if status != 'failed':
            return text
    return tool_output(argv)


def dump_jited(fd):
    try:
        image = jit_image(fd)
    except OSError as err:
        return '', f'The kernel did not give the JIT code: {err}.'
    if not image:
        return '', 'This program is not JIT-compiled (the kernel interprets it).'
    if not shutil.which('objdump'):
        return '', 'objdump is not in this sandbox image, so the JIT code cannot be shown.'
    with tempfile.NamedTemporaryFile(suffix='.bin') as tmp:
        tmp.write(image)
        tmp.flush()
        return tool_output(['objdump', '-D', '-b', 'binary', '-m', 'i386:x86-64',
                            '--no-show-raw-insn', tmp.name]), ''


class TraceReader(threading.Thread):
    """Streams trace_pipe to the host for one run, enforcing the rate and total limits.

    trace_pipe is global and reading consumes it, so it is only open while a run is attached:
    otherwise a learner's own `trace_print()` in the shell would lose lines to us."""

    def __init__(self, run_id, limits, events):
        super().__init__(daemon=True)
        self.run_id, self.limits, self.events = run_id, limits, events
        self.stopping = threading.Event()
        # Stop wakes the reader through this eventfd: a select with a timeout would wake it
        # ten times a second while a probe sits attached, each wake-up costing host CPU.
        self.wake_fd = os.eventfd(0, os.EFD_CLOEXEC)
        self.wake_lock = threading.Lock()
        self.total = 0
        # Opened now, before the probe attaches: opening it later would fire the learner's probe.
        # The kernel lets one process read trace_pipe at a time; when another holds it (the
        # learner's own `trace_print()` script), say who, and take it over once it lets go.
        self.fd = open_trace_pipe()
        self.holders = trace_pipe_readers() if self.fd is None else []

    def stop(self):
        with self.wake_lock:
            self.stopping.set()
            if self.wake_fd is not None:
                os.eventfd_write(self.wake_fd, 1)

    def release_wake_fd(self):
        with self.wake_lock:
            if self.wake_fd is not None:
                os.close(self.wake_fd)
                self.wake_fd = None

    def close(self):
        """For a reader that never started (the run failed before attaching)."""
        if self.fd is not None:
            os.close(self.fd)
        self.release_wake_fd()

    def wait_for_pipe(self):
        """Retries the open once a second until the other reader lets go; False if stopped."""
        while self.fd is None:
            if self.stopping.wait(TRACE_PIPE_RETRY_S):
                return False
            self.fd = open_trace_pipe()
        send({'type': 'trace-pipe-free', 'id': self.run_id})
        return True

    def run(self):
        try:
            if self.fd is not None or self.wait_for_pipe():
                self.stream(self.fd)
        finally:
            self.release_wake_fd()

    def stream(self, fd):
        """Sends what trace_pipe gives until the run stops or a limit is reached."""
        pending, window_start, window_count, dropped = b'', time.monotonic(), 0, 0
        max_bytes = self.limits['maxTraceLineBytes']
        try:
            while not self.stopping.is_set():
                ready, _, _ = select.select([fd, self.wake_fd], [], [])
                if fd not in ready:
                    continue
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                pending += chunk
                *complete, pending = pending.split(b'\n')
                lines = []
                now = time.monotonic()
                if now - window_start >= 1.0:
                    window_start, window_count = now, 0
                for raw in complete:
                    if not raw.strip():
                        continue  # bpf_trace_printk's own "\\n" leaves an empty line behind
                    if window_count >= self.limits['maxTraceLinesPerSecond']:
                        dropped += 1
                        continue
                    window_count += 1
                    line = TRACE_TASKS.name(raw[:max_bytes].decode('utf-8', errors='replace'))
                    lines.append(line)
                    if not TRACE_TASKS.is_lab(line):
                        self.total += 1
                    if self.total >= self.limits['maxTraceLines']:
                        break
                for i in range(0, len(lines), TRACE_BATCH_LINES):
                    if self.stopping.is_set():
                        return
                    send({'type': 'trace', 'id': self.run_id,
                          'lines': lines[i:i + TRACE_BATCH_LINES], 'dropped': dropped})
                    dropped = 0
                if self.total >= self.limits['maxTraceLines']:
                    self.events.put(('limit', self.run_id,
                                     f'Trace output per run limit reached: '
                                     f'{self.limits["maxTraceLines"]} lines (maxTraceLines). '
                                     'The probe was detached.'))
                    return
                if lines and self.stopping.wait(TRACE_COALESCE_S):
                    return
        finally:
            os.close(fd)


class ActiveRun:
    def __init__(self, run_id, limits):
        self.id, self.limits = run_id, limits
        self.deadline = time.monotonic() + limits['maxRunMs'] / 1000
        self.reader = None
        self.outputs = None


# The kernel program type each attach needs. BCC loads a function once per module, for the type
# of its first attach, and hands that fd to every later attach: a function loaded as a
# tracepoint program cannot be attached as a kprobe (the kernel answers EINVAL).
PROG_TYPE_BY_KIND = {'kprobe': BPF.KPROBE, 'kretprobe': BPF.KPROBE, 'tracepoint': BPF.TRACEPOINT}
PROG_TYPE_BY_PREFIX = {'kprobe': BPF.KPROBE, 'kretprobe': BPF.KPROBE,
                       'tracepoint': BPF.TRACEPOINT,
                       'raw_tracepoint': BPF.RAW_TRACEPOINT,
                       'kfunc': getattr(BPF, 'TRACING', None),
                       'kretfunc': getattr(BPF, 'TRACING', None),
                       'lsm': getattr(BPF, 'LSM', None)}


def auto_attach_type(name):
    """The program type BCC's auto-attach loads a `kprobe__...`-style function as."""
    prefix, sep, _ = name.partition('__')
    return PROG_TYPE_BY_PREFIX.get(prefix) if sep else None


def preloaded_auto(names):
    """The `kprobe__...`-style functions among `names` that can be loaded before they attach,
    with their types (kfunc, kretfunc and lsm load as they attach: BCC needs the target)."""
    return [(n, auto_attach_type(n)) for n in names if n.startswith(PRELOADED_PREFIXES)]


class Program:
    """A compiled and loaded BCC module, and what clang printed for it (its warnings).

    Only map-free programs are reusable: a map's contents would carry over into the next run.
    The module is compiled once per source; each function is loaded into the kernel per
    program type, so one source attaches as any kind after any other."""

    def __init__(self, bpf, compiler_log):
        self.bpf = bpf
        self.compiler_log = compiler_log
        self.reusable = lib.bpf_num_tables(bpf.module) == 0
        # Function name -> the program type its loaded fd in bpf.funcs has.
        self.loaded_types = {}
        # The kernel's copy of each function, read before its first attach: {name: dump}.
        self.kernel_dumps = {}
        # Verifier rejections by (name, program type): the same function fails the same way as
        # the same type, so a Run after a compile-ahead that was rejected answers at once.
        self.rejected = {}

    def load_as(self, name, prog_type):
        """Makes BCC's next load of `name` give a program of `prog_type`: an fd loaded as
        another type is closed (nothing uses it: every run detaches all first)."""
        key = name.encode()
        fn = self.bpf.funcs.get(key)
        if fn is not None and self.loaded_types.get(name, auto_attach_type(name)) != prog_type:
            os.close(fn.fd)
            del self.bpf.funcs[key]
        self.loaded_types[name] = prog_type

    def auto_attach(self):
        """Attaches the `kprobe__...`-style functions as BCC does, each loaded as its own type
        (compile_and_attach has loaded those it can ahead of any attach)."""
        for name in function_names(self.bpf):
            prog_type = auto_attach_type(name)
            if prog_type is not None:
                self.load_as(name, prog_type)
        self.bpf.autoload()


class Worker:
    def __init__(self):
        self.events = queue.Queue()
        # Reusable programs by source hash, least recently used first; all detached.
        self.cache = OrderedDict()
        # Sources clang or the verifier rejected, by hash: the same text fails the same way,
        # so a Run of a source whose compile-ahead failed answers at once, without clang.
        self.failures = OrderedDict()
        # The program of the latest run: detached when the run stops, freed when replaced.
        self.current = None
        self.active = None
        # A build of a PCH in the background wakes the serve loop when its clang exits.
        self.headers = PrecompiledHeaders(on_built=lambda: self.events.put(('headers',)))

    def warm_up(self):
        # BCC's precompiled headers, built by the sandbox's first worker (before a template of
        # the sandbox is saved); then the first compile in a process, about twice as slow as
        # later ones, paid now.
        self.headers.build(captured_output)
        self.compile('int ebpf_lab_warm_up(void *ctx) { return 0; }', [], known_good=True).cleanup()
        # The one read of /proc/kallsyms the bytecode dumps need (about 0.5 s of kernel time under
        # emulation): after the compile, not competing with it, and done before a VM template of
        # this sandbox is saved. Without a warm-up, the first dump reads it.
        KERNEL_SYMBOLS.load_in_background()

    def program_for(self, source):
        """The compiled program for `source` and whether it came from the cache; nothing of it
        is attached (compile_and_attach attaches). Raises RunFailure when clang rejects it."""
        key = hashlib.sha256(source.encode()).hexdigest()
        if key in self.failures:
            raise self.failures[key]
        program = self.cache.get(key)
        log = []
        try:
            if program:
                self.cache.move_to_end(key)
                return program, True
            program = Program(self.compile(source, log), '')
        except Exception as err:  # noqa: BLE001 - BCC raises plain Exception
            failure = classify_bcc_error(err, ''.join(log))
            if failure.kind in ('compile', 'verifier'):
                self.failures[key] = failure
                while len(self.failures) > PROGRAM_CACHE_SIZE:
                    self.failures.popitem(last=False)
            raise failure from err
        program.compiler_log = ''.join(log)
        if program.reusable:
            self.cache[key] = program
            while len(self.cache) > PROGRAM_CACHE_SIZE:
                _, evicted = self.cache.popitem(last=False)
                if evicted is not self.current:
                    evicted.bpf.cleanup()
        return program, False

    def compile(self, source, log, known_good=False):
        """BCC's compile of `source` (nothing attached; raises what BCC raises), with the
        precompiled headers while they work; what clang printed goes to `log`. A `known_good`
        source is the lab's own: if it fails with the headers, they are at fault."""
        self.headers.await_build_for(source, compiled_bytecode)
        cflags = self.headers.cflags(source)
        attempt = []
        try:
            started = time.monotonic()
            with captured_stderr(attempt):
                bpf = LabBPF(text=source, cflags=cflags)
            log.extend(attempt)
            self.headers.learn(source, time.monotonic() - started, lambda: bytecode(bpf))
            return bpf
        except Exception:
            if not cflags or not (known_good or blames_headers(''.join(attempt))):
                log.extend(attempt)
                raise
        # Clang refused the precompiled headers themselves (a learner may delete or overwrite
        # the file): compile as BCC does without them, and stop using them if that works.
        with captured_stderr(log):
            bpf = LabBPF(text=source)
        self.headers.refuse(cflags, 'a compile failed with it and worked without: '
                            + ''.join(attempt).strip()[:300])
        return bpf

    def use(self, program):
        """Makes `program` the current one, freeing the previous one unless the cache keeps it."""
        previous, self.current = self.current, program
        if previous and previous is not program and not previous.reusable:
            previous.bpf.cleanup()

    # ------------------------------------------------------------------ compile ahead

    def prepare(self, message):
        """Compiles a source ahead of its run (the web lab sends it while the learner types), so
        pressing Run finds it in the cache. Reports compile errors and warnings either way."""
        try:
            program, cached = self.program_for(message['source'])
        except RunFailure as failure:
            send({'type': 'prepared', 'id': message['id'], 'cached': False, 'compilerLog': '',
                  'error': {'kind': failure.kind, 'message': failure.message,
                            'log': failure.log[-(1 << 20):]}})
            return
        if program.reusable:
            self.load_ahead(program, message.get('attach'))
        else:
            program.bpf.cleanup()  # compiled for its diagnostics only
        send({'type': 'prepared', 'id': message['id'], 'cached': cached,
              'compilerLog': program.compiler_log[-(1 << 20):], 'error': None})

    def load_ahead(self, program, attach):
        """Does ahead of the Run what its attach would do first: loads the functions it will
        attach (the verifier) and reads their kernel copy for the bytecode view, so a Run of a
        compiled-ahead source only attaches, as a Run of the same source again does. `attach`
        is what the page would Run with; without it, the lab's default (DEFAULT_ATTACH). The
        `kprobe__...`-style functions load as BCC loads them. A Run
        of another kind loads again (Program.load_as); a load that fails here is the Run's to
        report, in its words for the kind it attaches (a verifier rejection is kept for it)."""
        names = function_names(program.bpf)
        candidates = [n for n in names if not n.startswith(AUTO_ATTACH_PREFIXES)]
        chosen = []
        for spec in DEFAULT_ATTACH if attach is None else attach:
            try:
                fn = spec.get('fn') or self.only_candidate(candidates, spec)
            except RunFailure:
                continue  # no one function to attach: the Run says so
            if fn in names:
                chosen.append((spec, fn))
        for name, prog_type in self.planned_loads(chosen, names):
            program.load_as(name, prog_type)
            try:
                self.load_function(program, name, prog_type, [])
            except RunFailure:
                continue
        # The dump runs bpftool and objdump: while a learner's probe is attached their forks
        # would fire it, so then the Run reads the kernel's copy, before it attaches.
        if self.active is None:
            self.dump_loaded(program)

    # ------------------------------------------------------------------ the kernel's copy

    @staticmethod
    def dump_loaded(program):
        """Reads the kernel's copy of each loaded function not read yet (bpftool, objdump). Runs
        before a probe attaches: those processes would otherwise fire the learner's probes."""
        loaded = {(n.decode() if isinstance(n, bytes) else n) for n in program.bpf.funcs}
        for name in [n for n in program.kernel_dumps if n not in loaded]:
            del program.kernel_dumps[name]  # closed to be loaded as another type
        for name, func in program.bpf.funcs.items():
            name = name.decode() if isinstance(name, bytes) else name
            prog_id = prog_id_of(func.fd)
            if prog_id is None:
                continue
            if program.kernel_dumps.get(name, {}).get('id') == prog_id:
                continue  # read already (a function loaded again as another type is read again)
            xlated = dump_xlated(func.fd, prog_id)
            jited, note = dump_jited(func.fd)
            program.kernel_dumps[name] = {'name': name[:128], 'id': prog_id,
                                          'xlated': xlated[-(1 << 20):],
                                          'jited': jited[-(1 << 20):], 'note': note[:4096]}

    def dump_programs(self, message):
        """The current program's functions as the kernel holds them: the verified instructions
        with their source lines, and the JIT's machine code, as read before they attached.
        Functions BCC loads only as it attaches them (kfunc, lsm) are read once the run stops."""
        program = self.current
        if program and not self.active:
            self.dump_loaded(program)
        dumps = list(program.kernel_dumps.values()) if program else []
        send({'type': 'programs', 'id': message['id'], 'programs': dumps[:64]})

    def unload_program(self, message):
        """Unloads the program of a source that the cache keeps loaded for a quick re-run,
        unless it is running. The lab sends it after its own warm-up compiles, so a learner's
        `bpftool prog show` lists only programs they ran."""
        key = hashlib.sha256(message['source'].encode()).hexdigest()
        program = self.cache.get(key)
        unloaded = program is not None and not (self.active and program is self.current)
        if unloaded:
            del self.cache[key]
            if program is self.current:
                self.current = None
            program.bpf.cleanup()
        send({'type': 'program-unloaded', 'id': message['id'], 'unloaded': unloaded})

    # ------------------------------------------------------------------ run lifecycle

    def run(self, message):
        self.stop(reason='requested')
        run = ActiveRun(message['id'], message['limits'])
        self.active = run
        try:
            probes = self.compile_and_attach(run, message)
        except RunFailure as failure:
            self.active = None
            if self.current:
                detach_all(self.current.bpf)  # auto-attached probes of a half-attached run
            if run.reader:
                run.reader.close()
            send({'type': 'run-error', 'id': run.id, 'kind': failure.kind,
                  'message': failure.message, 'log': failure.log[-(1 << 20):]})
            send({'type': 'run-stopped', 'id': run.id,
                  'reason': 'limit' if failure.kind == 'limit' else 'error'})
            return
        attached = {'type': 'run-attached', 'id': run.id, 'probes': probes,
                    'compilerLog': self.current.compiler_log[-(1 << 20):]}
        if run.reader.fd is None:
            attached['tracePipeHolders'] = run.reader.holders
        # Said before the readers start, so it comes before their first lines.
        send(attached)
        run.reader.start()
        if run.outputs.tables:  # a program without maps has no outputs to wake up for
            run.outputs.start()

    def compile_and_attach(self, run, message):
        key = hashlib.sha256(message['source'].encode()).hexdigest()
        send({'type': 'run-stage', 'id': run.id, 'stage': 'compiling',
              'cached': key in self.cache or key in self.failures})
        program, cached = self.program_for(message['source'])
        self.use(program)
        b = program.bpf
        log = []
        # Tracing as a Run needs it, whatever the learner's shell left, and the trace buffer
        # cleared of what earlier runs left, so the learner sees only this run.
        changed = reset_tracefs()
        if changed:
            send({'type': 'run-notice', 'id': run.id, 'log': '',
                  'message': 'The lab put tracing back to what a Run needs: '
                             + '; '.join(changed) + '.'})
        send({'type': 'run-stage', 'id': run.id, 'stage': 'loading', 'cached': cached})
        names = function_names(b)
        candidates = [n for n in names if not n.startswith(AUTO_ATTACH_PREFIXES)]
        chosen = []
        for spec in message['attach']:
            fn = spec.get('fn') or self.only_candidate(candidates, spec)
            if fn not in names:
                raise RunFailure('attach', f'No function named "{fn}" in the source '
                                 f'(functions: {", ".join(names) or "none"}).')
            program.load_as(fn, PROG_TYPE_BY_KIND[spec['kind']])
            chosen.append((spec, fn))
        auto = [name for name in names if name.startswith(AUTO_ATTACH_PREFIXES)]
        for name in auto:
            if auto_attach_type(name) is not None:
                program.load_as(name, auto_attach_type(name))
        if not chosen and not auto:
            raise RunFailure('attach', 'Nothing to attach: give an attach point (for example '
                             'kprobe:clone), or name a function the BCC way, '
                             'e.g. kprobe__sys_clone or TRACEPOINT_PROBE(syscalls, sys_enter_execve).')
        # Everything the lab must do in the sandbox happens now, before the first attach: load
        # (the verifier), read the programs for the bytecode view, open the buffers and the
        # trace pipe. Once a probe is live the lab's own work would fire it.
        self.preload(program, chosen, auto, log)
        self.dump_loaded(program)
        run.reader = TraceReader(run.id, run.limits, self.events)
        run.outputs = RunOutputs(run.id, b, message['source'], run.limits, send,
                                 lambda text: self.events.put(('limit', run.id, text)))
        run.outputs.open()
        probes = [self.attach(b, spec, fn, log) for spec, fn in chosen]
        if auto:
            try:
                with captured_stderr(log):
                    program.auto_attach()
            except Exception as err:  # noqa: BLE001 - BCC raises plain Exception
                raise classify_bcc_error(err, ''.join(log)) from err
            probes.extend(self.auto_attached(name) for name in auto)
        send({'type': 'run-stage', 'id': run.id, 'stage': 'attached', 'cached': cached})
        return probes

    def preload(self, program, chosen, auto, log):
        """Loads the functions to attach (the verifier runs here), ahead of attaching any."""
        for name, prog_type in self.planned_loads(chosen, auto):
            self.load_function(program, name, prog_type, log)

    @staticmethod
    def planned_loads(chosen, names):
        """What a run loads before it attaches: each chosen (spec, function) as its kind, then
        the `kprobe__...`-style functions among `names` that can load before they attach."""
        loads = [(fn, PROG_TYPE_BY_KIND[spec['kind']]) for spec, fn in chosen]
        return loads + preloaded_auto(names)

    @staticmethod
    def load_function(program, name, prog_type, log):
        """Loads `name` as `prog_type`, or raises RunFailure in the verifier's words. A rejection
        is kept, and raised again instead of verifying the same function again."""
        rejected = program.rejected.get((name, prog_type))
        if rejected is not None:
            raise rejected
        b = program.bpf
        try:
            with captured_stderr(log):
                b.load_func(name.encode(), prog_type)
        except Exception as err:  # noqa: BLE001 - BCC raises plain Exception
            text = ''.join(log)
            if BCC_TOO_LARGE.search(text):
                try:
                    words = verifier_words(b, name, prog_type)
                except Exception as again:  # noqa: BLE001 - a BCC without this call
                    words = ''
                    print(f'could not ask the verifier again: {again!r}', file=sys.stderr)
                if words:
                    text = BCC_TOO_LARGE.sub('', text) + words
            failure = classify_bcc_error(err, text)
            if failure.kind == 'verifier':
                program.rejected[(name, prog_type)] = failure
            raise failure from err

    @staticmethod
    def only_candidate(candidates, spec):
        if len(candidates) == 1:
            return candidates[0]
        where = f'{spec["kind"]}:{spec["target"]}'
        if not candidates:
            raise RunFailure('attach', f'No function to attach to {where}: the source defines none.')
        raise RunFailure('attach', f'Several functions could attach to {where} '
                         f'({", ".join(candidates)}): name one, e.g. {where}={candidates[0]}.')

    @staticmethod
    def attach(b, spec, fn, log):
        kind, target = spec['kind'], spec['target']
        try:
            with captured_stderr(log):
                if kind == 'tracepoint':
                    category, _, event = target.partition(':')
                    if not os.path.isdir(f'{TRACING}/events/{category}/{event}'):
                        raise RunFailure('attach', missing_tracepoint(target))
                    b.attach_tracepoint(tp=target.encode(), fn_name=fn.encode())
                    return {'kind': kind, 'event': target, 'fn': fn}
                event = resolve_kernel_function(b, target)
                if kind == 'kprobe':
                    b.attach_kprobe(event=event.encode(), fn_name=fn.encode())
                else:
                    b.attach_kretprobe(event=event.encode(), fn_name=fn.encode())
                return {'kind': kind, 'event': event, 'fn': fn}
        except RunFailure:
            raise
        except Exception as err:  # noqa: BLE001 - BCC raises plain Exception
            raise classify_bcc_error(err, ''.join(log)) from err

    @staticmethod
    def auto_attached(name):
        prefix, _, rest = name.partition('__')
        if prefix == 'tracepoint':
            category, _, event = rest.partition('__')
            return {'kind': 'tracepoint', 'event': f'{category}:{event}', 'fn': name}
        kinds = {'kretprobe': 'kretprobe', 'raw_tracepoint': 'raw_tracepoint', 'kfunc': 'kfunc',
                 'kretfunc': 'kretfunc', 'lsm': 'lsm'}
        return {'kind': kinds.get(prefix, 'kprobe'), 'event': rest, 'fn': name}

    def stop(self, reason, run_id=None):
        run = self.active
        if run is None or (run_id is not None and run.id != run_id):
            if run_id is not None:
                # Not (or no longer) ours: it ended, was replaced or skipped. Say so anyway, so
                # the host never waits for an answer that would not come.
                send({'type': 'run-stopped', 'id': run_id, 'reason': reason})
            return
        self.active = None
        if self.current:
            detach_all(self.current.bpf)
        if run.reader:
            run.reader.stop()
            run.reader.join()
        if run.outputs and run.outputs.is_alive():
            run.outputs.stopping.set()
            run.outputs.join()
            run.outputs.finish()
        send({'type': 'run-stopped', 'id': run.id, 'reason': reason})

    # ------------------------------------------------------------------ main loop

    def superseded(self, run_id):
        """A stop for `run_id`, or another run, already waits in the queue."""
        with self.events.mutex:
            waiting = [event[1] for event in self.events.queue if event[0] == 'message']
        return any(m.get('type') == 'run' or (m.get('type') == 'stop' and m.get('id') == run_id)
                   for m in waiting)

    def read_stdin(self):
        for line in sys.stdin.buffer:
            self.events.put(('message', json.loads(line)))
        self.events.put(('eof',))

    def serve(self):
        threading.Thread(target=self.read_stdin, daemon=True).start()
        while True:
            # Sleep until a message or the active run's deadline: an idle sandbox must not
            # wake up on a timer (each wake-up costs host CPU under software emulation).
            timeout = (max(0.0, self.active.deadline - time.monotonic()) + 0.01
                       if self.active else None)
            if self.events.empty():
                if self.active is None:
                    # Once, when a start skipped the warm-up for a waiting run: at the first
                    # moment nothing waits, rather than before that run's compile.
                    self.headers.build(captured_output)
                # The includes of sources compiled since, run or not: a learner's next Run
                # with the same includes should not wait for the one attached to end.
                self.headers.at_idle(captured_output, compiled_bytecode)
            try:
                event = self.events.get(timeout=timeout)
            except queue.Empty:
                event = None
            if self.active and time.monotonic() > self.active.deadline:
                limit_ms = self.active.limits['maxRunMs']
                shown = (f'{limit_ms // 60000} min' if limit_ms % 60000 == 0
                         else f'{limit_ms / 1000:g} s')
                send({'type': 'run-error', 'id': self.active.id, 'kind': 'limit',
                      'message': f'Run time limit reached: {shown} (maxRunMs). '
                      'The probe was detached.', 'log': ''})
                self.stop(reason='timeout')
            if event is None:
                continue
            if event[0] == 'eof':
                self.headers.close()
                return
            if event[0] == 'headers':
                continue  # a build's clang exited: checked above, at the next idle moment
            if event[0] == 'limit':
                _, run_id, text = event
                if self.active and self.active.id == run_id:
                    send({'type': 'run-error', 'id': run_id, 'kind': 'limit',
                          'message': text, 'log': ''})
                    self.stop(reason='limit', run_id=run_id)
                continue
            message = event[1]
            try:
                self.handle(message)
            except Exception:  # noqa: BLE001 - a fault of the lab's, reported, not fatal
                self.report_fault(message, traceback.format_exc())

    def handle(self, message):
        if message['type'] == 'run':
            if self.superseded(message['id']):
                # Stopped or replaced before it began: compiling it would only delay the run
                # that replaces it.
                send({'type': 'run-stopped', 'id': message['id'], 'reason': 'requested'})
                return
            self.run(message)
        elif message['type'] == 'prepare':
            self.prepare(message)
        elif message['type'] == 'dump-programs':
            self.dump_programs(message)
        elif message['type'] == 'unload-program':
            self.unload_program(message)
        elif message['type'] == 'stop':
            self.stop(reason='requested', run_id=message['id'])

    def report_fault(self, message, trace):
        """An exception of the worker's own (a bug, or BCC failing in a way it did not expect)
        answers the message it was handling, with the traceback, and the worker goes on. Left
        to end the process, it would not even exit cleanly: Python aborts (SIGABRT) when it
        shuts down while the stdin thread holds its lock, and the run would only say 'crashed'."""
        print(trace, file=sys.stderr, flush=True)
        last = trace.strip().splitlines()[-1][:300]
        text = (f"The lab's BCC worker failed ({last}). This is a fault of the lab, not of your "
                'program.')
        kind = message['type']
        if kind == 'prepare':
            send({'type': 'prepared', 'id': message['id'], 'cached': False, 'compilerLog': '',
                  'error': {'kind': 'internal', 'message': text, 'log': trace[-(1 << 16):]}})
        elif kind == 'dump-programs':
            send({'type': 'programs', 'id': message['id'], 'programs': []})
        elif kind == 'unload-program':
            send({'type': 'program-unloaded', 'id': message['id'], 'unloaded': False})
        elif kind in ('run', 'stop'):
            run = self.active
            self.active = None
            if run is not None:
                try:
                    if self.current:
                        detach_all(self.current.bpf)
                    if run.reader:
                        run.reader.stop()
                except Exception:  # noqa: BLE001 - already reporting a fault
                    pass
                if run.id != message['id']:
                    send({'type': 'run-stopped', 'id': run.id, 'reason': 'error'})
            send({'type': 'run-error', 'id': message['id'], 'kind': 'internal', 'message': text,
                  'log': trace[-(1 << 16):]})
            send({'type': 'run-stopped', 'id': message['id'], 'reason': 'error'})


if __name__ == '__main__':
    # On a fatal signal (a C++ abort in clang or libbcc) Python prints where each thread was: to
    # the real stderr, which the agent keeps, even while captured_stderr has moved fd 2.
    FAULT_LOG = os.fdopen(os.dup(2), 'w')
    faulthandler.enable(file=FAULT_LOG)
    if '--comm' in sys.argv:
        set_comm(sys.argv[sys.argv.index('--comm') + 1])
    worker = Worker()
    # Warming up helps the next run only when none is waiting: a run already queued (a one-shot
    # `ebpf-lab run` right after boot) would otherwise wait for a compile it does not need.
    if not select.select([sys.stdin], [], [], 0)[0]:
        worker.warm_up()
    worker.serve()
