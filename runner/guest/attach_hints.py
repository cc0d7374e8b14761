"""What the lab says when a probe's attach point is not in this kernel: which kernel (its
release), and the nearest names that do exist.

Tutorials are written against older kernels: BCC's own examples attach to blk_account_io_done
(there in 6.12, but inlined away from ftrace, so no kprobe can attach) and random:urandom_read
(a tracepoint removed in 5.18). A learner copying them deserves more than "No such file".

No bcc import here, and the kernel's lists come in as arguments: the host's unit tests run this
module with made-up lists (runner/guest/attach-hints.test.ts).
"""

import os


def edit_distance(a, b, limit):
    """Levenshtein distance, or limit + 1 once it is sure to exceed limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def nearest(name, candidates, count=3):
    """The candidates closest to a mistyped name: a few letters apart, then names that extend it
    (urandom_read -> urandom_read_iter). Only names of about the same length that share its first
    letter are compared letter by letter: comparing every kernel function is too slow in an
    emulated sandbox."""
    limit = max(1, min(3, len(name) // 4))
    scored = sorted((edit_distance(name, c, limit), c) for c in candidates
                    if c != name and c[:1] == name[:1] and abs(len(c) - len(name)) <= limit)
    close = [c for d, c in scored if d <= limit]
    longer = sorted((c for c in candidates if c.startswith(name) and c != name), key=len)
    return list(dict.fromkeys(close + longer))[:count]


def same_ending(name, candidates, count=3):
    """Candidates that end in the name's last two words: what a renamed hook is often called now
    (blk_account_io_done -> the tracepoint block_io_done)."""
    words = name.split('_')
    if len(words) < 2:
        return []
    tail = '_'.join(words[-2:])
    return sorted(c for c in candidates if c != name and (c == tail or c.endswith('_' + tail)))[:count]


def did_you_mean(names):
    return f' Did you mean {" or ".join(names)}?' if names else ''


def tracepoints(events_dir):
    """Every `category:event` under a tracefs events folder."""
    try:
        categories = sorted(os.listdir(events_dir))
    except OSError:
        return []
    found = []
    for category in categories:
        folder = os.path.join(events_dir, category)
        if not os.path.isdir(folder):
            continue
        found += [f'{category}:{event}' for event in sorted(os.listdir(folder))
                  if os.path.isdir(os.path.join(folder, event))]
    return found


def missing_function(target, functions, syscalls, release):
    """A kprobe target this kernel does not have at all."""
    return (f'No syscall or kernel function named "{target}" in this kernel ({release}).'
            + did_you_mean(nearest(target, syscalls | functions)))


def untraceable_function(target, functions, events_dir, release):
    """A kprobe target the kernel has, but that ftrace cannot hook (inlined at its call sites, or
    marked notrace): it is in /proc/kallsyms, not in available_filter_functions."""
    near = nearest(target, functions)
    by_tracepoint = [f'tracepoint:{t}' for t in tracepoints_ending_like(target, events_dir)]
    return (f'"{target}" is in this kernel ({release}) but cannot be traced: it is not in '
            'available_filter_functions (inlined, or marked notrace), so no kprobe can attach '
            'to it.' + did_you_mean(by_tracepoint + [f'kprobe:{f}' for f in near]))


def tracepoints_ending_like(name, events_dir, count=2):
    """Tracepoints whose event ends like `name` (blk_account_io_done -> block:block_io_done)."""
    by_event = {}
    for tracepoint in tracepoints(events_dir):
        by_event.setdefault(tracepoint.partition(':')[2], []).append(tracepoint)
    events = same_ending(name, by_event, count)
    return [t for event in events for t in by_event[event]][:count]


def missing_tracepoint(target, events_dir, release, functions=()):
    """A tracepoint this kernel does not have: the nearest tracepoints; when its whole category is
    gone (random:urandom_read, removed in 5.18), the kernel functions a kprobe can use instead."""
    category, _, event = target.partition(':')
    try:
        categories = [c for c in os.listdir(events_dir) if os.path.isdir(f'{events_dir}/{c}')]
    except OSError:
        categories = []
    if category in categories:
        siblings = sorted(os.listdir(f'{events_dir}/{category}'))
        names = [f'{category}:{e}' for e in nearest(event, siblings)]
        if not names:
            names = [f'{category}:{e}' for e in siblings
                     if os.path.isdir(f'{events_dir}/{category}/{e}')]
            shown = ', '.join(names[:12]) + (', ...' if len(names) > 12 else '')
            return (f'No tracepoint "{target}" in this kernel ({release}). The '
                    f'{category} category has: {shown}.')
    else:
        names = [f'{c}:{event}' for c in nearest(category, categories)
                 if os.path.isdir(f'{events_dir}/{c}/{event}')]
    message = (f'No tracepoint "{target}" in this kernel ({release}; the list is in '
               f'{events_dir}).')
    if names:
        return message + did_you_mean(names)
    instead = nearest(event, functions)
    if instead:
        return (message + f' No category "{category}" either; the kernel function'
                f'{"s" if len(instead) > 1 else ""} {" or ".join(instead)} can be traced with a '
                'kprobe instead.')
    return message
