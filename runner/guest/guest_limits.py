"""The sandbox's own defences, so that most of what a learner can do as root leaves the agent,
the BCC worker and the next Run working, with no help from the host.

- The learner's shell and everything it starts (and the commands the host runs, which run the
  learner's files) live in one cgroup v2 with `pids.max` and `memory.max` below the sandbox's
  own, and a smaller CPU weight than the agent's group.
- The agent cannot be chosen by the OOM killer (`oom_score_adj` -1000); the BCC worker is the
  last choice before it (-800); the learner's processes are back at 0.
- A watcher turns what the kernel counted into words for the learner: a fork bomb that filled
  `pids.max` is stopped (`cgroup.kill`), an out-of-memory kill and a full files budget are
  reported.

The limits come from the host on the kernel command line (runner/limits.ts); without them (the
local driver, which runs on a machine of its own) nothing here is set up. Works on the kernels
of Debian 12 (6.1) and 13 (6.12): cgroup v2 with `cgroup.kill` (5.14+).
"""

import os
import select
import threading
import time

CGROUP = '/sys/fs/cgroup'
AGENT_GROUP = CGROUP + '/ebpf-lab-agent'
LEARNER_GROUP = CGROUP + '/ebpf-lab-learner'
FILES_MOUNT = '/tmp'  # any path on the shared tmpfs
AGENT_CPU_WEIGHT = 400
LEARNER_CPU_WEIGHT = 100
WORKER_OOM_SCORE_ADJ = -800
# How often the watcher looks while something goes on, and while idle (the files budget).
WATCH_INTERVAL_S = 1.0
FILES_CHECK_INTERVAL_S = 5.0
# Out-of-memory kills in this many of the last OOM_WINDOW checks: something keeps refilling it.
OOM_STRIKES = 3
OOM_WINDOW = 10


def cmdline_limits(path='/proc/cmdline'):
    """The `ebpf_lab.*` numbers the host put on the kernel command line, or None."""
    try:
        with open(path, encoding='ascii') as f:
            words = f.read().split()
    except OSError:
        return None
    found = {}
    for word in words:
        if word.startswith('ebpf_lab.') and '=' in word:
            key, _, value = word[len('ebpf_lab.'):].partition('=')
            if value.isdigit():
                found[key] = int(value)
    needed = ('learner_pids', 'learner_mem_mib', 'files_mib')
    return found if all(k in found for k in needed) else None


def write(path, text):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def parse_keyed(text):
    """A cgroup file of `key value` lines (pids.events, memory.events) as a dict of ints."""
    values = {}
    for line in text.splitlines():
        key, _, value = line.partition(' ')
        values[key] = int(value) if value.strip().isdigit() else 0
    return values


class KeptOpenFile:
    """A /proc or cgroup file the lab reads again and again, opened once and read from offset 0
    each time (the kernel writes its text afresh at every read). Opening it each time would show
    in a learner's probe on openat every few seconds, as `ebpf-lab-agent` (lesson 10's table of
    opens would never settle)."""

    def __init__(self, path):
        self.path = path
        self.fd = None

    def text(self):
        """The file's text now, or '' when it cannot be read (opened again next time)."""
        try:
            if self.fd is None:
                self.fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            return os.pread(self.fd, 8192, 0).decode('ascii', errors='replace')
        except OSError:
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None
            return ''

    def int(self):
        text = self.text().strip()
        return int(text) if text.isdigit() else None


class EventsFile(KeptOpenFile):
    """A cgroup `*.events` file: reading it from its descriptor re-arms the poll that wakes when
    one of its counts changes, so it is opened at once, for the poll to watch."""

    def __init__(self, path):
        super().__init__(path)
        self.fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)

    def read(self):
        return parse_keyed(self.text())


MEMINFO = KeptOpenFile('/proc/meminfo')


def mem_available_kib():
    """MemAvailable from /proc/meminfo, or 0 when it cannot be read."""
    for line in MEMINFO.text().splitlines():
        if line.startswith('MemAvailable:'):
            fields = line.split()
            return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 0
    return 0


class WatchState:
    """What the watcher remembers between looks."""

    def __init__(self, pids_hits, oom_kills):
        self.pids_hits = pids_hits
        self.oom_kills = oom_kills
        self.strikes = 0  # looks in a row with refused forks and the group full
        self.oom_checks = []  # one bool per look, newest last: was there an OOM kill?
        self.files_full = False


class GuestLimits:
    def __init__(self, limits, send, log):
        self.limits, self.send, self.log = limits, send, log
        self.learner_ready = False

    @classmethod
    def from_cmdline(cls, send, log):
        limits = cmdline_limits()
        return cls(limits, send, log) if limits else None

    def setup(self):
        """Protects the agent and makes the learner's cgroup. A failure is logged and the
        sandbox goes on unconfined: a lab without these limits still teaches."""
        write('/proc/self/oom_score_adj', '-1000')
        try:
            os.makedirs(AGENT_GROUP, exist_ok=True)
            os.makedirs(LEARNER_GROUP, exist_ok=True)
            write(AGENT_GROUP + '/cgroup.procs', str(os.getpid()))
            for controller in ('cpu', 'memory', 'pids'):
                try:
                    write(CGROUP + '/cgroup.subtree_control', '+' + controller)
                except OSError as err:
                    self.log(f'cgroup controller {controller} not available: {err}')
            mem = self.limits['learner_mem_mib'] * 1024 * 1024
            write(LEARNER_GROUP + '/pids.max', str(self.limits['learner_pids']))
            write(LEARNER_GROUP + '/memory.max', str(mem))
            write(LEARNER_GROUP + '/cpu.weight', str(LEARNER_CPU_WEIGHT))
            write(AGENT_GROUP + '/cpu.weight', str(AGENT_CPU_WEIGHT))
            self.learner_ready = True
        except OSError as err:
            self.log(f'the learner cgroup could not be set up: {err}')
            return
        threading.Thread(target=self.watch, daemon=True).start()

    def protect_worker(self, pid):
        try:
            write(f'/proc/{pid}/oom_score_adj', str(WORKER_OOM_SCORE_ADJ))
        except OSError as err:
            self.log(f'could not protect the BCC worker from the OOM killer: {err}')

    def enter_learner_group(self):
        """In a forked child, before exec: leave the agent's protection and its cgroup. Plain
        system calls only (it runs between fork and exec in a threaded process)."""
        write('/proc/self/oom_score_adj', '0')
        if self.learner_ready:
            write(LEARNER_GROUP + '/cgroup.procs', str(os.getpid()))

    # ------------------------------------------------------------------ watcher

    def watch(self):
        """Sleeps until the kernel counts something in the learner's group (a refused fork, an
        out-of-memory kill: both `*.events` files wake a poll when a count changes), then checks
        once a second while it goes on. An idle sandbox wakes only for the files budget, which
        no event announces: each wake-up costs host CPU under software emulation."""
        pids_events = EventsFile(LEARNER_GROUP + '/pids.events')
        memory_events = EventsFile(LEARNER_GROUP + '/memory.events')
        self.pids_current = KeptOpenFile(LEARNER_GROUP + '/pids.current')
        poller = select.poll()
        for events in (pids_events, memory_events):
            poller.register(events.fd, select.POLLPRI | select.POLLERR)
        state = WatchState(pids_events.read().get('max', 0),
                           memory_events.read().get('oom_kill', 0))
        busy = False
        while True:
            if busy:
                time.sleep(WATCH_INTERVAL_S)
            else:
                poller.poll(FILES_CHECK_INTERVAL_S * 1000)
            busy = self.check(state, pids_events.read(), memory_events.read())

    def check(self, state, pids_events, memory_events):
        """One look at what the kernel counted; True while something is going on."""
        pids_max = self.limits['learner_pids']
        files_mib = self.limits['files_mib']
        mem_mib = self.limits['learner_mem_mib']
        # A fork bomb: forks refused at pids.max, again and again, with the group full.
        hits = pids_events.get('max', 0)
        current = self.pids_current.int() or 0
        refused = hits > state.pids_hits
        state.strikes = state.strikes + 1 if refused and current >= pids_max * 0.9 else 0
        if refused:
            self.log(f'learner pids: {current}/{pids_max}, refused forks {hits}')
        state.pids_hits = hits
        if state.strikes >= 2:
            state.strikes = 0
            self.kill_learner()
            self.send('processes',
                      f'Too many processes in the sandbox shell: it reached its limit of '
                      f'{pids_max} processes (learnerProcesses) — a loop that forks, like '
                      'a fork bomb? Everything the shell started was stopped, and a new '
                      'shell is starting.')
        kills = memory_events.get('oom_kill', 0)
        killed = kills > state.oom_kills
        state.oom_checks = (state.oom_checks + [killed])[-OOM_WINDOW:]
        if sum(state.oom_checks) >= OOM_STRIKES:
            # Killing the largest process does not help: something keeps refilling it.
            state.oom_checks = []
            self.kill_learner()
            self.send('memory',
                      f'The sandbox shell keeps running out of memory ({mem_mib} MiB, '
                      'learnerMemoryMiB): something keeps filling it. Everything the shell '
                      'started was stopped, and a new shell is starting.')
        elif killed:
            self.log(f'learner out of memory: {kills} kills, pids {current}')
            self.send('memory',
                      f'A process in the sandbox shell used all the memory it may have '
                      f'({mem_mib} MiB, learnerMemoryMiB), so the kernel stopped it '
                      '(out of memory).')
        state.oom_kills = kills
        try:
            st = os.statvfs(FILES_MOUNT)
            free = st.f_bavail / st.f_blocks if st.f_blocks else 1.0
        except OSError:
            free = 1.0
        if free < 0.01 and not state.files_full:
            state.files_full = True
            self.send('files',
                      f'The sandbox\'s files are full: /tmp, /dev/shm, /run and every file '
                      f'written in the sandbox share {files_mib} MiB (sandboxFilesMiB). '
                      'Delete some with rm, or press Reset sandbox.')
        elif free > 0.05:
            state.files_full = False
        return refused or killed or state.strikes > 0 or any(state.oom_checks)

    def kill_learner(self):
        try:
            write(LEARNER_GROUP + '/cgroup.kill', '1')
        except OSError as err:
            self.log(f'could not stop the learner\'s processes: {err}')
