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
import threading
import time

CGROUP = '/sys/fs/cgroup'
AGENT_GROUP = CGROUP + '/ebpf-lab-agent'
LEARNER_GROUP = CGROUP + '/ebpf-lab-learner'
FILES_MOUNT = '/tmp'  # any path on the shared tmpfs
AGENT_CPU_WEIGHT = 400
LEARNER_CPU_WEIGHT = 100
WORKER_OOM_SCORE_ADJ = -800
WATCH_INTERVAL_S = 1.0
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


def read_keyed(path):
    """A cgroup file of `key value` lines (pids.events, memory.events) as a dict of ints."""
    values = {}
    try:
        with open(path, encoding='ascii') as f:
            for line in f:
                key, _, value = line.partition(' ')
                values[key] = int(value) if value.strip().isdigit() else 0
    except OSError:
        pass
    return values


def read_int(path):
    try:
        with open(path, encoding='ascii') as f:
            text = f.read().strip()
        return int(text) if text.isdigit() else None
    except OSError:
        return None


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
        pids_max = self.limits['learner_pids']
        files_mib = self.limits['files_mib']
        mem_mib = self.limits['learner_mem_mib']
        last_pids_hits = read_keyed(LEARNER_GROUP + '/pids.events').get('max', 0)
        last_oom_kills = read_keyed(LEARNER_GROUP + '/memory.events').get('oom_kill', 0)
        strikes = 0
        oom_checks = []  # one bool per check, newest last: was there an OOM kill?
        files_full = False
        while True:
            time.sleep(WATCH_INTERVAL_S)
            # A fork bomb: forks refused at pids.max, again and again, with the group full.
            hits = read_keyed(LEARNER_GROUP + '/pids.events').get('max', 0)
            current = read_int(LEARNER_GROUP + '/pids.current') or 0
            strikes = strikes + 1 if hits > last_pids_hits and current >= pids_max * 0.9 else 0
            if hits > last_pids_hits:
                self.log(f'learner pids: {current}/{pids_max}, refused forks {hits}')
            last_pids_hits = hits
            if strikes >= 2:
                strikes = 0
                self.kill_learner()
                self.send('processes',
                          f'Too many processes in the sandbox shell: it reached its limit of '
                          f'{pids_max} processes (learnerProcesses) — a loop that forks, like '
                          'a fork bomb? Everything the shell started was stopped, and a new '
                          'shell is starting.')
            kills = read_keyed(LEARNER_GROUP + '/memory.events').get('oom_kill', 0)
            oom_checks = (oom_checks + [kills > last_oom_kills])[-OOM_WINDOW:]
            if sum(oom_checks) >= OOM_STRIKES:
                # Killing the largest process does not help: something keeps refilling it.
                oom_checks = []
                self.kill_learner()
                self.send('memory',
                          f'The sandbox shell keeps running out of memory ({mem_mib} MiB, '
                          'learnerMemoryMiB): something keeps filling it. Everything the shell '
                          'started was stopped, and a new shell is starting.')
            elif kills > last_oom_kills:
                self.log(f'learner out of memory: {kills} kills, pids {current}')
                self.send('memory',
                          f'A process in the sandbox shell used all the memory it may have '
                          f'({mem_mib} MiB, learnerMemoryMiB), so the kernel stopped it '
                          '(out of memory).')
            last_oom_kills = kills
            try:
                st = os.statvfs(FILES_MOUNT)
                free = st.f_bavail / st.f_blocks if st.f_blocks else 1.0
            except OSError:
                free = 1.0
            if free < 0.01 and not files_full:
                files_full = True
                self.send('files',
                          f'The sandbox\'s files are full: /tmp, /dev/shm, /run and every file '
                          f'written in the sandbox share {files_mib} MiB (sandboxFilesMiB). '
                          'Delete some with rm, or press Reset sandbox.')
            elif free > 0.05:
                files_full = False

    def kill_learner(self):
        try:
            write(LEARNER_GROUP + '/cgroup.kill', '1')
        except OSError as err:
            self.log(f'could not stop the learner\'s processes: {err}')
