#!/usr/bin/env python3
"""ebpf-lab guest agent: the one process inside the sandbox the host talks to.

It speaks the protocol declared in runner/protocol/messages.ts (one JSON message per line)
over a virtio-serial port (qemu driver) or its own stdin/stdout (--stdio, local driver). It
answers the handshake at once, runs commands and interactive shells itself, and hands probe
runs to a separate BCC worker process. The worker keeps `bcc` imported and clang warm, and
being a separate process means a hung compile or a crash in BCC never takes the agent down:
the agent kills and restarts it and tells the host what happened.
"""

import base64
import collections
import contextlib
import ctypes
import errno
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import uuid

import guest_limits
import schema_check

HERE = os.path.dirname(os.path.abspath(__file__))
PORT_NAME = 'org.ebpf-lab.agent'
MAX_LINE_BYTES = 2 * 1024 * 1024
MAX_SHELLS = 8
# Typed input a shell has not read yet, held per shell: more is refused. A shell that reads
# slowly (readline redrawing a 64 KiB line under emulation) must never block the agent's loop,
# or a Run or Stop queued behind the input would wait with it.
SHELL_INPUT_BUFFER_BYTES = 1024 * 1024
SHELL_WRITE_CHUNK = 4096
EXEC_OUTPUT_CAP = 1024 * 1024
WORKER_CRASH_WINDOW_S = 5.0
# The worker's last stderr lines kept for a crash report.
WORKER_STDERR_LINES = 40
HEARTBEAT_INTERVAL_S = 2.0
# Exists from the agent's first start until the sandbox powers off: a later start is a respawn.
# The lab's scratch tmpfs (initramfs-init.sh), outside the learner's files budget; the system's
# temporary directory where there is none (the local driver).
LAB_SCRATCH = '/run/ebpf-lab' if os.path.ismount('/run/ebpf-lab') else tempfile.gettempdir()
STARTED_MARKER = os.path.join(LAB_SCRATCH, 'agent.started')
# The sandbox's own limits (guest_limits.py); None outside a qemu sandbox (the local driver).
GUEST = None
# <linux/random.h>: _IOW('R', 0x03, int[2]) and _IO('R', 0x07).
RNDADDENTROPY = 0x40085203
RNDRESEEDCRNG = 0x5207
# What clang or LLVM print when the learner's program stops them (LLVM's back end ends the
# process on errors it finds while generating code).
COMPILER_ERROR = re.compile(r'(?m)^(?:.*: )?(?:fatal error|error): |LLVM ERROR: ')

# The image build writes protocol.json beside the agent; the local driver passes its own.
PROTOCOL_FILE = (sys.argv[sys.argv.index('--protocol') + 1] if '--protocol' in sys.argv
                 else os.path.join(HERE, 'protocol.json'))
with open(PROTOCOL_FILE, encoding='utf-8') as f:
    PROTOCOL = json.load(f)

SHELL_ENV = {
    'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'HOME': '/root',
    'USER': 'root',
    'LOGNAME': 'root',
    'SHELL': '/bin/bash',
    'LANG': 'C.UTF-8',
}


def take_captured_stderr(path):
    """The end of what a dead worker's clang and BCC printed while it captured fd 2 into `path`
    (its --stderr-file), and the file removed."""
    try:
        with open(path, 'rb') as f:
            f.seek(max(0, os.path.getsize(path) - 8192))
            text = f.read().decode('utf-8', errors='replace')
        os.unlink(path)
    except OSError:
        return ''
    return text


def retriable(run):
    """A run the worker died on before it attached or failed, tried once, not being stopped."""
    return (run['type'] == 'run' and run['deadline'] is not None and not run.get('stopping')
            and not run['message'].get('retried'))


def describe_exit(code):
    """`exit 1`, or `killed by SIGABRT` for a negative Popen return code."""
    if code is not None and code < 0:
        try:
            return f'killed by {signal.Signals(-code).name}'
        except ValueError:
            return f'killed by signal {-code}'
    return f'exit {code}'


def log(text):
    print(f'ebpf-lab-agent: {text}', file=sys.stderr, flush=True)


class Channel:
    """Line-framed JSON over a pair of file descriptors; writes are serialized by a lock."""

    def __init__(self, rfd, wfd, retry_on_eof):
        self.rfd, self.wfd = rfd, wfd
        self.retry_on_eof = retry_on_eof
        self.lock = threading.Lock()

    def send(self, message):
        data = (json.dumps(message, separators=(',', ':')) + '\n').encode()
        with self.lock:
            view = memoryview(data)
            while view:
                try:
                    written = os.write(self.wfd, view)
                except BlockingIOError:
                    select.select([], [self.wfd], [], 1.0)
                    continue
                except OSError as err:
                    # The host end is gone (EPIPE/EIO); it will get a fresh ready on reconnect.
                    log(f'dropped a {message.get("type")} message: {err}')
                    return
                view = view[written:]

    def lines(self):
        pending = b''
        while True:
            try:
                chunk = os.read(self.rfd, 65536)
            except InterruptedError:
                continue
            if not chunk:
                if not self.retry_on_eof:
                    return
                # A virtio port reads as EOF while no host is connected: wait for one.
                time.sleep(0.05)
                continue
            pending += chunk
            while b'\n' in pending:
                line, pending = pending.split(b'\n', 1)
                yield line
            if len(pending) > MAX_LINE_BYTES:
                pending = b''
                yield None


def find_port():
    base = '/sys/class/virtio-ports'
    for _ in range(200):
        if os.path.isdir(base):
            for entry in os.listdir(base):
                try:
                    with open(os.path.join(base, entry, 'name'), encoding='utf-8') as f:
                        if f.read().strip() == PORT_NAME:
                            return '/dev/' + entry
                except OSError:
                    continue
        time.sleep(0.05)
    raise SystemExit(f'no virtio port named {PORT_NAME}')


def enter_learner_group():
    """In a child the learner controls (the shell, a command), before exec."""
    if GUEST is not None:
        try:
            GUEST.enter_learner_group()
        except OSError:
            pass  # unconfined rather than no shell: the watcher already logged why


def bcc_version():
    try:
        with open('/usr/lib/python3/dist-packages/bcc/version.py', encoding='utf-8') as f:
            return f.read().split("'")[1]
    except (OSError, IndexError):
        return ''


def image_tools():
    """Tool versions the image build wrote into the root file system (absent outside our image)."""
    try:
        with open('/etc/ebpf-lab/tools.json', encoding='utf-8') as f:
            tools = json.load(f)
    except (OSError, ValueError):
        return None
    return tools if isinstance(tools, list) else None


class Worker:
    """The BCC worker process: started ahead of need, restarted after a crash or a timeout."""

    def __init__(self, channel):
        self.channel = channel
        self.lock = threading.Lock()
        self.proc = None
        self.started_at = 0.0
        self.quick_crashes = 0
        # The run in flight: {'id', 'deadline' (None once attached or failed), 'timeout_ms'}.
        self.current_run = None
        self.unavailable = None
        self.deadline_changed = threading.Condition(self.lock)

    def start_once(self):
        """Starts the worker unless it runs. Deferred until the agent has answered the host:
        importing bcc competes with the agent's own start for the guest's CPUs."""
        with self.lock:
            if self.proc is None:
                self.start()
                threading.Thread(target=self.watch_deadlines, daemon=True).start()

    def start(self):
        self.started_at = time.monotonic()
        stderr_file = os.path.join(LAB_SCRATCH, f'ebpf-lab-bcc-{uuid.uuid4().hex[:12]}.stderr')
        self.proc = subprocess.Popen(
            [sys.executable, '-u', os.path.join(HERE, 'bcc_worker.py'),
             '--comm', PROTOCOL['labTasks']['worker'], '--stderr-file', stderr_file,
             '--lab-tasks', ','.join(PROTOCOL['labTasks'].values())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # Its temporary files (bytecode dumps) go to the lab's scratch space too.
            env=dict(os.environ, TMPDIR=LAB_SCRATCH),
        )
        if GUEST is not None:
            GUEST.protect_worker(self.proc.pid)
        self.proc.stderr_file = stderr_file
        self.proc.stderr_tail = collections.deque(maxlen=WORKER_STDERR_LINES)
        self.proc.stderr_reader = threading.Thread(target=self.keep_stderr, args=(self.proc,),
                                                   daemon=True)
        self.proc.stderr_reader.start()
        threading.Thread(target=self.pump, args=(self.proc,), daemon=True).start()

    @staticmethod
    def keep_stderr(proc):
        """Passes what the worker prints on stderr on to the agent's own, keeping the last lines:
        when it crashes (a C++ abort in clang or libbcc), they say why."""
        for raw in proc.stderr:
            line = raw.decode('utf-8', errors='replace').rstrip('\n')
            proc.stderr_tail.append(line[:1000])
            print(f'bcc-worker: {line}', file=sys.stderr, flush=True)

    def pump(self, proc):
        for raw in proc.stdout:
            try:
                message = json.loads(raw)
            except ValueError:
                log(f'worker wrote a non-JSON line: {raw[:200]!r}')
                continue
            with self.lock:
                run = self.current_run
                if run and message.get('id') == run['id']:
                    if message['type'] in ('run-attached', 'run-error'):
                        run['deadline'] = None
                    elif message['type'] in ('run-stopped', 'prepared'):
                        self.current_run = None
            self.channel.send(message)
        code = proc.wait()
        proc.stderr_reader.join(timeout=2)
        captured = take_captured_stderr(proc.stderr_file)
        compiler_error = COMPILER_ERROR.search(captured) is not None
        with self.lock:
            if proc is not self.proc:
                return  # replaced on purpose (timeout): the replacer already reported
            run = self.current_run
            self.current_run = None
            lived = time.monotonic() - self.started_at
            # A compiler's fatal error is the learner's program, not a broken worker.
            quick = lived < WORKER_CRASH_WINDOW_S and not (run and compiler_error)
            self.quick_crashes = self.quick_crashes + 1 if quick else 0
            if self.quick_crashes >= 3:
                self.unavailable = ('the BCC worker keeps failing at start '
                                    f'({describe_exit(code)})')
                log(self.unavailable)
            else:
                log(f'BCC worker exited ({code}); restarting')
                self.start()
        if not run:
            return
        if compiler_error:
            # LLVM's back end ends the process on errors it finds while generating code: the
            # learner's program, not a broken worker, so no retry.
            self.fail_run(run, 'compile', 'The compiler stopped with a fatal error.', 'error',
                          details=captured)
            return
        report = '\n'.join(proc.stderr_tail)
        if captured.strip():
            report += f'\nWhat clang and BCC printed last:\n{captured}'
        if self.unavailable is None and retriable(run):
            # Died compiling or loading, before anything attached: the learner's Run should not
            # pay for it. Once, on the fresh worker, saying what happened.
            log(f'BCC worker crashed ({describe_exit(code)}) on run {run["id"]}; running it '
                f'again:\n{report}')
            self.channel.send({'type': 'run-notice', 'id': run['id'],
                               'message': f'The BCC worker crashed ({describe_exit(code)}) '
                                          'before the probe attached; running it again on a '
                                          'fresh one.',
                               'log': report[-(1 << 16):]})
            self.send(dict(run['message'], retried=True))
            return
        self.fail_run(run, 'internal', f'The BCC worker crashed ({describe_exit(code)}). '
                      'It has been restarted: run again.', 'error', details=report)

    def fail_run(self, run, kind, message, reason, details=''):
        """Ends a run or a compile-ahead that the worker can no longer answer for."""
        details = details[-(1 << 16):]
        if run['type'] == 'prepare':
            self.channel.send({'type': 'prepared', 'id': run['id'], 'cached': False,
                               'compilerLog': '',
                               'error': {'kind': kind, 'message': message, 'log': details}})
            return
        self.channel.send({'type': 'run-error', 'id': run['id'], 'kind': kind,
                           'message': message, 'log': details})
        self.channel.send({'type': 'run-stopped', 'id': run['id'], 'reason': reason})

    def watch_deadlines(self):
        while True:
            with self.lock:
                run = self.current_run
                waiting = run and run['deadline'] is not None
                if not waiting or time.monotonic() < run['deadline']:
                    # Sleep until the deadline, or until a compile starts (`send` notifies):
                    # an idle agent must not wake up on a timer.
                    self.deadline_changed.wait(
                        run['deadline'] - time.monotonic() + 0.01 if waiting else None)
                    continue
                self.current_run = None
                old = self.proc
                self.start()
            old.kill()
            old.wait()
            self.fail_run(run, 'limit', f'Compile and load time limit reached: '
                          f'{run["timeout_ms"] // 1000} s (compileTimeoutMs). '
                          'The compiler was stopped.',
                          'limit')

    def send(self, message):
        self.start_once()
        with self.lock:
            if self.unavailable:
                unavailable = self.unavailable
            else:
                unavailable = None
                if message['type'] in ('run', 'prepare'):
                    # The compile in flight, bounded by its deadline (one tracked at a time:
                    # the worker takes requests in order and a new run replaces the old).
                    timeout = (message['limits']['compileTimeoutMs'] if message['type'] == 'run'
                               else message['compileTimeoutMs'])
                    self.current_run = {'id': message['id'], 'type': message['type'],
                                        'timeout_ms': timeout,
                                        'deadline': time.monotonic() + timeout / 1000,
                                        'message': message}
                    self.deadline_changed.notify()
                elif message['type'] == 'stop' and self.current_run:
                    self.current_run['stopping'] = True
                if 'retried' in message:  # the agent's own mark (a retry), not the worker's
                    message = {k: v for k, v in message.items() if k != 'retried'}
                data = (json.dumps(message) + '\n').encode()
                try:
                    self.proc.stdin.write(data)
                    self.proc.stdin.flush()
                except OSError as err:
                    log(f'could not reach the worker: {err}')
        if unavailable and message['type'] in ('run', 'prepare'):
            self.fail_run({'id': message['id'], 'type': message['type']}, 'internal',
                          f'BCC is not available: {unavailable}.', 'error')
        elif unavailable and message['type'] == 'unload-program':
            # No worker, so nothing of it is loaded.
            self.channel.send({'type': 'program-unloaded', 'id': message['id'],
                               'unloaded': False})


class Shell:
    """An interactive bash on a real pseudo-terminal, for the web lab's shell pane."""

    def __init__(self, channel, shell_id, cols, rows, on_exit):
        self.channel, self.id, self.on_exit = channel, shell_id, on_exit
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir('/root' if os.path.isdir('/root') else '/')
            enter_learner_group()
            env = dict(SHELL_ENV, TERM='xterm-256color', COLORTERM='truecolor')
            os.execve('/bin/bash', ['-bash'], env)
        self.pid, self.fd = pid, fd
        # The feeder's own descriptor: `pump` closes `fd` when the shell exits, and the number
        # could be reused while the feeder is still writing.
        self.input_fd = os.dup(fd)
        self.unread = bytearray()  # typed, not yet taken by the terminal
        self.flushes = 0  # Ctrl-Cs that emptied `unread`
        self.has_input = threading.Condition()
        self.exited = False
        self.resize(cols, rows)
        threading.Thread(target=self.pump, daemon=True).start()
        threading.Thread(target=self.feed, daemon=True).start()

    def resize(self, cols, rows):
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))

    def write(self, data):
        """Queues typed input for the shell's terminal; False (nothing queued) when the shell
        has not read SHELL_INPUT_BUFFER_BYTES typed before. Ctrl-C discards what is queued
        before it, as a terminal flushes its input queue on an interrupt."""
        with self.has_input:
            if b'\x03' in data:
                self.unread.clear()
                self.flushes += 1
                data = data[data.rindex(b'\x03'):]
            if len(self.unread) + len(data) > SHELL_INPUT_BUFFER_BYTES:
                return False
            self.unread += data
            self.has_input.notify()
            return True

    def feed(self):
        """Writes the queued input to the terminal, a chunk at a time, as fast as it reads."""
        try:
            self.feed_until_exit()
        finally:
            os.close(self.input_fd)

    def feed_until_exit(self):
        while True:
            with self.has_input:
                while not self.unread and not self.exited:
                    self.has_input.wait()
                if self.exited:
                    return
                chunk = bytes(self.unread[:SHELL_WRITE_CHUNK])
                flushes = self.flushes
            try:
                written = os.write(self.input_fd, chunk)
            except OSError:
                return  # the shell has exited
            with self.has_input:
                # A Ctrl-C meanwhile replaced the queue: what was written is no longer in it.
                if self.flushes == flushes:
                    del self.unread[:written]

    def pump(self):
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                break  # EIO: the shell and everything on its terminal have exited
            if not data:
                break
            self.channel.send({'type': 'shell-output', 'id': self.id,
                               'data': base64.b64encode(data).decode()})
        _, status = os.waitpid(self.pid, 0)
        with self.has_input:
            self.exited = True
            self.has_input.notify()
        os.close(self.fd)
        self.on_exit(self.id)
        self.channel.send({'type': 'shell-exit', 'id': self.id,
                           'code': os.waitstatus_to_exitcode(status)})

    def close(self):
        try:
            os.killpg(os.getpgid(self.pid), signal.SIGHUP)
        except ProcessLookupError:
            pass


def kill_session(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_command(channel, message, running):
    """Runs a command the way an interactive shell runs a typed one: bash forks, then execs.
    `running` maps exec ids to their processes while they run, so `exec-kill` can find them."""
    proc = subprocess.Popen(
        ['/bin/bash', '--noprofile', '--norc', '-s'],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd='/root' if os.path.isdir('/root') else '/', env=dict(SHELL_ENV, TERM='dumb'),
        start_new_session=True, preexec_fn=enter_learner_group,
    )
    running[message['id']] = proc
    budget = [EXEC_OUTPUT_CAP]

    def pump(stream, name):
        for chunk in iter(lambda: stream.read1(65536), b''):
            if budget[0] <= 0:
                continue
            chunk = chunk[:budget[0]]
            budget[0] -= len(chunk)
            channel.send({'type': 'exec-output', 'id': message['id'], 'stream': name,
                          'data': base64.b64encode(chunk).decode()})

    pumps = [threading.Thread(target=pump, args=(proc.stdout, 'stdout')),
             threading.Thread(target=pump, args=(proc.stderr, 'stderr'))]
    for t in pumps:
        t.start()
    proc.stdin.write(message['command'].encode() + b'\n')
    proc.stdin.close()
    # Popen.wait(timeout) polls every few milliseconds, and every wake-up costs host CPU under
    # software emulation: wait blocked instead, with a timer to end a command that overstays.
    timed_out = threading.Event()

    def overstayed():
        timed_out.set()
        kill_session(proc.pid)

    timer = threading.Timer(message['timeoutMs'] / 1000, overstayed)
    timer.daemon = True
    timer.start()
    proc.wait()
    timer.cancel()
    # Kill the whole session either way, so a backgrounded child cannot keep the pipes open.
    kill_session(proc.pid)
    for t in pumps:
        t.join()
    running.pop(message['id'], None)
    code = proc.returncode
    channel.send({'type': 'exec-exit', 'id': message['id'],
                  'code': code if code >= 0 else None,
                  'signal': signal.Signals(-code).name if code < 0 else None,
                  'timedOut': timed_out.is_set()})


class Agent:
    def __init__(self, channel):
        self.channel = channel
        self.worker = Worker(channel)
        self.shells = {}
        self.execs = {}
        self.said_ready = False
        self.instance = uuid.uuid4().hex[:16]
        self.beating = False
        self.balloon_loading = False

    def start_heartbeat(self):
        """Tells the host every couple of seconds that the agent lives, which agent it is (a
        respawned agent is a new one) and which shells are open. Started only once a host is
        known to listen: a virtio port nobody reads would block the writer."""
        if self.beating:
            return
        self.beating = True
        threading.Thread(target=self.heartbeat, daemon=True).start()

    def heartbeat(self):
        seq = 0
        while True:
            self.channel.send({'type': 'heartbeat', 'agent': self.instance, 'seq': seq,
                               'shells': sorted(self.shells)[:16],
                               'memAvailableKiB': guest_limits.mem_available_kib()})
            seq += 1
            time.sleep(HEARTBEAT_INTERVAL_S)

    def guest_event(self, kind, text):
        log(f'guest event {kind}: {text}')
        self.channel.send({'type': 'guest-event', 'kind': kind, 'message': text})

    def error(self, message_id, code, text):
        self.channel.send({'type': 'error', 'id': message_id, 'code': code, 'message': text})

    def handle_line(self, line):
        if line is None:
            return self.error(None, 'malformed', f'message longer than {MAX_LINE_BYTES} bytes')
        try:
            message = json.loads(line)
        except ValueError as err:
            return self.error(None, 'malformed', f'not JSON: {err}')
        if not isinstance(message, dict) or not isinstance(message.get('type'), str):
            return self.error(None, 'malformed', 'a message is an object with a string "type"')
        message_id = message.get('id') if isinstance(message.get('id'), str) else None
        schema = schema_check.variant_for(PROTOCOL['hostMessage'], message['type'])
        if schema is None:
            return self.error(message_id, 'unknown-type', f'unknown message type {message["type"]!r}')
        problem = schema_check.problem(schema, message)
        if problem:
            return self.error(message_id, 'malformed', problem)
        handler = getattr(self, 'on_' + message['type'].replace('-', '_'))
        try:
            handler(message)
        except Exception as err:  # noqa: BLE001 - report, keep serving
            log(f'{message["type"]} failed: {err!r}')
            self.error(message_id, 'internal', f'{message["type"]} failed: {err}')

    def on_hello(self, message):
        if not self.said_ready:
            self.said_ready = True
            with open('/proc/uptime', encoding='ascii') as f:
                log(f'ready {f.read().split()[0]} s after power-on')
        if message['protocolVersion'] != PROTOCOL['protocolVersion']:
            return self.error(None, 'version', f'agent speaks protocol {PROTOCOL["protocolVersion"]}, '
                              f'host speaks {message["protocolVersion"]}: rebuild the guest image')
        ready = {'type': 'ready', 'protocolVersion': PROTOCOL['protocolVersion'],
                 'kernel': os.uname().release, 'bcc': bcc_version()}
        tools = image_tools()
        if tools is not None:
            ready['tools'] = tools
        self.channel.send(ready)
        self.start_heartbeat()
        self.worker.start_once()
        if GUEST is not None and not self.balloon_loading:
            # After the answer, like the worker: boot time is what a learner waits for.
            self.balloon_loading = True
            threading.Thread(target=load_balloon, daemon=True).start()

    def on_resume(self, message):
        """A sandbox restored from a template wakes with the template's clock and random state:
        set the wall clock from the host, and mix the host's random bytes into the kernel's pool
        and reseed its generator now (RNDRESEEDCRNG), so two clones never share a random stream."""
        time.clock_settime(time.CLOCK_REALTIME, message['epochMs'] / 1000)
        seed = base64.b64decode(message['entropy'])
        seed += b'\0' * (-len(seed) % 4)
        info = struct.pack('ii', len(seed) * 8, len(seed)) + seed
        with open('/dev/urandom', 'wb') as rng:
            fcntl.ioctl(rng, RNDADDENTROPY, info)
            fcntl.ioctl(rng, RNDRESEEDCRNG)
        self.channel.send({'type': 'resumed', 'id': message['id'],
                           'epochMs': time.clock_gettime(time.CLOCK_REALTIME) * 1000})

    def on_ping(self, message):
        self.channel.send({'type': 'pong', 'id': message['id']})

    def on_run(self, message):
        self.worker.send(message)

    def on_stop(self, message):
        self.worker.send(message)

    def on_prepare(self, message):
        self.worker.send(message)

    def on_dump_programs(self, message):
        self.worker.send(message)

    def on_unload_program(self, message):
        self.worker.send(message)

    def on_exec(self, message):
        if message['id'] in self.execs:
            return self.error(message['id'], 'busy', 'a command with this id is running')
        threading.Thread(target=run_command, args=(self.channel, message, self.execs),
                         daemon=True).start()

    def on_exec_kill(self, message):
        proc = self.execs.get(message['id'])
        if proc is None:
            return self.error(message['id'], 'not-found', 'no running command with this id')
        kill_session(proc.pid)  # if it ended meanwhile, its exec-exit is on the way

    def on_write_file(self, message):
        # The schema allows only a plain name under /root or /tmp: no directories to climb.
        path = message['path']
        try:
            with open(path + '.tmp', 'wb') as f:
                f.write(base64.b64decode(message['data']))
            os.replace(path + '.tmp', path)
        except OSError as err:
            if err.errno != errno.ENOSPC:
                raise
            with contextlib.suppress(OSError):
                os.unlink(path + '.tmp')
            return self.error(message['id'], 'no-space', "the sandbox's files are full")
        self.channel.send({'type': 'file-written', 'id': message['id']})

    def on_shell_open(self, message):
        if message['id'] in self.shells:
            return self.error(message['id'], 'busy', 'a shell with this id is already open')
        if len(self.shells) >= MAX_SHELLS:
            return self.error(message['id'], 'busy', f'at most {MAX_SHELLS} shells at once')
        self.shells[message['id']] = Shell(self.channel, message['id'], message['cols'],
                                           message['rows'], lambda i: self.shells.pop(i, None))

    def shell(self, message):
        shell = self.shells.get(message['id'])
        if shell is None:
            self.error(message['id'], 'not-found', 'no open shell with this id')
        return shell

    def on_shell_input(self, message):
        shell = self.shell(message)
        if shell and not shell.write(base64.b64decode(message['data'])):
            self.error(message['id'], 'busy',
                       f'the shell has not yet read the {SHELL_INPUT_BUFFER_BYTES // 1024} KiB '
                       'typed before')

    def on_shell_resize(self, message):
        shell = self.shell(message)
        if shell:
            shell.resize(message['cols'], message['rows'])

    def on_shell_close(self, message):
        shell = self.shell(message)
        if shell:
            shell.close()


def load_balloon():
    """virtio-balloon with free page reporting hands pages the guest freed back to the host,
    so a sandbox's host memory does not only grow. A module on Debian's cloud kernels."""
    result = subprocess.run(['modprobe', '-q', 'virtio_balloon'], check=False,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if result.returncode != 0:
        log(f'virtio_balloon not loaded: {result.stderr.decode(errors="replace").strip()}')


def set_comm(name):
    """Names this process and the threads it starts: a learner's probe that sees the agent's
    own work (reading its port, starting a command) shows the lab's name, which the host marks
    as the lab's, rather than one more `python3`."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME


def main():
    global GUEST
    set_comm(PROTOCOL['labTasks']['agent'])
    if '--stdio' in sys.argv:
        channel = Channel(sys.stdin.fileno(), sys.stdout.fileno(), retry_on_eof=False)
    else:
        port = os.open(find_port(), os.O_RDWR)
        channel = Channel(port, port, retry_on_eof=True)
    agent = Agent(channel)
    if '--stdio' not in sys.argv:
        GUEST = guest_limits.GuestLimits.from_cmdline(agent.guest_event, log)
        if GUEST is not None:
            GUEST.setup()
        if os.path.exists(STARTED_MARKER):
            # Respawned (killed, crashed): the host still listens on the port. Say so at once,
            # so it sees a new agent instead of waiting for silence.
            log('respawned: the host will see a new agent')
            agent.start_heartbeat()
        else:
            try:
                with open(STARTED_MARKER, 'w', encoding='ascii') as f:
                    f.write(agent.instance)
            except OSError as err:
                log(f'could not write {STARTED_MARKER}: {err}')
    for line in channel.lines():
        agent.handle_line(line)


if __name__ == '__main__':
    main()
