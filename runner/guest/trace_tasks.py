"""The task a trace line names, as the learner should see it, and whether it is the lab's own.

The kernel prints a line's task under a name it saved at a context switch, looked up when the
line is read. That name can be missing (`<...>`: the kernel kept no name for the pid) or out of
date: a process the lab's agent forks (a trigger's bash, a command the learner runs) goes by the
agent's name until it execs, and can keep showing under it after, until it is next switched out.
Its lines were then taken for the lab's, hidden and left out of the learner's line count. While
the task lives, /proc has the name it goes by now.
"""

import re

UNKNOWN_TASK = '<...>'
# `           bash-125     [001] ...`: the task, right-aligned, then its pid and the CPU.
TRACE_TASK = re.compile(r'^(\s*)(.+)-(\d+)\s+\[\d+\]')


def comm_now(pid):
    """The name the task `pid` goes by now, or None once it is gone."""
    try:
        with open(f'/proc/{pid}/comm', encoding='utf-8', errors='replace') as f:
            return f.read().rstrip('\n')
    except OSError:
        return None


class TraceTasks:
    def __init__(self, lab_tasks, comm_of=comm_now):
        self.lab_tasks = frozenset(lab_tasks)
        self.comm_of = comm_of

    def name(self, line):
        """`line` with its task named as it is now, where the kernel's name is missing or is one
        of the lab's. Other names are left as the kernel has them: they only matter to the
        reader, and looking each one up would cost a /proc read per line of a flood."""
        match = TRACE_TASK.match(line)
        if not match:
            return line
        task = match.group(2)
        if task != UNKNOWN_TASK and task not in self.lab_tasks:
            return line
        comm = self.comm_of(match.group(3))
        if comm is None or comm == task:
            return line
        width = len(match.group(1)) + len(task)  # keep the column the kernel aligns to
        return f'{comm:>{width}}' + line[match.end(2):]

    def is_lab(self, line):
        """Whether `line` (named by `name`) is one of the lab's own processes'."""
        match = TRACE_TASK.match(line)
        return match is not None and match.group(2) in self.lab_tasks
