"""What a run's program hands to user space, for the BCC worker: the events its perf buffers and
ring buffers deliver, and snapshots of its maps, each decoded with the C types BCC knows
(`table.event()` for events, the table's Key and Leaf ctypes for maps).

Buffers are opened before the probe attaches (the lab does no avoidable I/O while a learner's
probe is live); one thread polls them and snapshots the maps every second while the run is
attached, and once more after it is detached.
"""

import ctypes as ct
import re
import threading
import time

from bcc import table as bcc_table
from bcc.libbcc import lib

MAPS_INTERVAL_S = 1.0
POLL_TIMEOUT_MS = 100
EVENT_BATCH = 256
# At most this many keys are read from one map per snapshot (a hash map can hold 10240 or more;
# reading them all every second would slow the sandbox).
MAX_SCANNED_KEYS = 4096
MAX_MAPS = 32
MAX_ARRAY_ITEMS = 256
NO_ENTRIES = (bcc_table.BPF_MAP_TYPE_PERF_EVENT_ARRAY, bcc_table.BPF_MAP_TYPE_RINGBUF,
              bcc_table.BPF_MAP_TYPE_PROG_ARRAY, bcc_table.BPF_MAP_TYPE_STACK_TRACE)
PERCPU = (bcc_table.BPF_MAP_TYPE_PERCPU_HASH, bcc_table.BPF_MAP_TYPE_PERCPU_ARRAY,
          bcc_table.BPF_MAP_TYPE_LRU_PERCPU_HASH)
ARRAYS = (bcc_table.BPF_MAP_TYPE_ARRAY, bcc_table.BPF_MAP_TYPE_PERCPU_ARRAY)
C_NAMES = {
    ct.c_char: 'char', ct.c_byte: 's8', ct.c_ubyte: 'u8', ct.c_short: 's16', ct.c_ushort: 'u16',
    ct.c_int: 'int', ct.c_uint: 'u32', ct.c_long: 's64', ct.c_ulong: 'u64',
    ct.c_longlong: 's64', ct.c_ulonglong: 'u64', ct.c_bool: 'bool', ct.c_void_p: 'void *',
    ct.c_char_p: 'char *', ct.c_float: 'float', ct.c_double: 'double',
}
JS_SAFE = 2 ** 53 - 1


class Truncation:
    """Records whether a decode had to shorten something."""
    cut = False


def text_of(raw, max_bytes, trunc):
    raw = raw.split(b'\0', 1)[0]
    if len(raw) > max_bytes:
        raw, trunc.cut = raw[:max_bytes], True
    return raw.decode('utf-8', errors='backslashreplace')


def c_value(value, max_bytes, trunc):
    """A ctypes value as JSON: structs and unions as objects by field name (in C order), char
    arrays as text up to their NUL, other arrays as lists, integers beyond JavaScript's exact
    range as decimal strings."""
    if isinstance(value, (ct.Structure, ct.Union)):
        out = {}
        for field in value._fields_:
            name = field[0]
            if name.startswith('__pad'):
                continue  # BCC's own padding, not the learner's field
            out[name] = c_value(getattr(value, name), max_bytes, trunc)
        return out
    if isinstance(value, ct.Array):
        if value._type_ is ct.c_char:
            return text_of(bytes(value), max_bytes, trunc)
        items = list(value)
        if len(items) > MAX_ARRAY_ITEMS:
            items, trunc.cut = items[:MAX_ARRAY_ITEMS], True
        return [c_value(item, max_bytes, trunc) for item in items]
    if isinstance(value, bytes):
        return text_of(value, max_bytes, trunc)
    if isinstance(value, ct._SimpleCData):
        return c_value(value.value, max_bytes, trunc)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -JS_SAFE <= value <= JS_SAFE else str(value)
    if isinstance(value, float):
        return value if value == value and abs(value) != float('inf') else str(value)
    return str(value)[:max_bytes]


def c_type_name(ctype):
    if ctype in C_NAMES:
        return C_NAMES[ctype]
    if issubclass(ctype, ct.Array):
        return f'{c_type_name(ctype._type_)}[{ctype._length_}]'
    if issubclass(ctype, (ct.Structure, ct.Union)):
        kind = 'union' if issubclass(ctype, ct.Union) else 'struct'
        return f'{kind} {ctype.__name__}' if ctype.__name__ else kind
    return ctype.__name__


def histograms_in(source):
    """Maps declared with BPF_HISTOGRAM, and whether the program fills them with log2 buckets."""
    names = re.findall(r'\bBPF_HISTOGRAM\s*\(\s*([A-Za-z_]\w*)', source)
    kind = 'log2' if re.search(r'\bbpf_log2l?\s*\(', source) else 'linear'
    return {name: kind for name in names}


# BCC's Python binding leaves these two undeclared (it never lists a module's tables itself).
lib.bpf_num_tables.restype = ct.c_size_t
lib.bpf_num_tables.argtypes = [ct.c_void_p]
lib.bpf_table_name.restype = ct.c_char_p
lib.bpf_table_name.argtypes = [ct.c_void_p, ct.c_size_t]


def table_names(b):
    return [lib.bpf_table_name(b.module, i).decode() for i in range(lib.bpf_num_tables(b.module))]


def is_zero(value):
    return not bytes(value).strip(b'\0')


class RunOutputs(threading.Thread):
    """Events and map snapshots of one run, sent with `send` as `event` and `maps` messages."""

    def __init__(self, run_id, bpf, source, limits, send, on_limit):
        super().__init__(daemon=True)
        self.run_id, self.b, self.limits, self.send = run_id, bpf, limits, send
        self.on_limit = on_limit
        self.stopping = threading.Event()
        self.histograms = histograms_in(source)
        self.pending, self.dropped = [], 0
        self.window_start, self.window_count, self.total = time.monotonic(), 0, 0
        self.counts = {}  # events delivered per buffer, shown beside the map
        self.limited = False
        self.tables = []
        self.perf = self.ring = False
        for name in table_names(bpf)[:MAX_MAPS]:
            try:
                self.tables.append((name, bpf[name.encode()]))
            except Exception:  # noqa: BLE001 - a table BCC cannot open is listed as such
                self.tables.append((name, None))

    def open(self):
        """Opens the perf and ring buffers: before the probe attaches, so no event is missed and
        no file is opened while it is live."""
        for name, tbl in self.tables:
            if tbl is None:
                continue
            if tbl.ttype == bcc_table.BPF_MAP_TYPE_PERF_EVENT_ARRAY:
                tbl.open_perf_buffer(self.perf_callback(name, tbl), page_cnt=64,
                                     lost_cb=self.lost)
                self.perf = True
            elif tbl.ttype == bcc_table.BPF_MAP_TYPE_RINGBUF:
                tbl.open_ring_buffer(self.ring_callback(name, tbl))
                self.ring = True

    # ------------------------------------------------------------------ events

    def perf_callback(self, name, tbl):
        def on_event(_cpu, data, size):
            self.receive(name, tbl, data, size)
        return on_event

    def ring_callback(self, name, tbl):
        def on_event(_ctx, data, size):
            self.receive(name, tbl, data, size)
            return 0
        return on_event

    def lost(self, count):
        self.dropped += count

    def receive(self, name, tbl, data, size):
        self.counts[name] = self.counts.get(name, 0) + 1
        if self.limited:
            return
        now = time.monotonic()
        if now - self.window_start >= 1.0:
            self.window_start, self.window_count = now, 0
        if self.window_count >= self.limits['maxTraceLinesPerSecond']:
            self.dropped += 1
            return
        self.window_count += 1
        self.total += 1
        self.pending.append(self.decode_event(name, tbl, data, size))
        if self.total >= self.limits['maxTraceLines']:
            self.limited = True
            self.on_limit(f'Trace output per run limit reached: {self.limits["maxTraceLines"]} '
                          'lines (maxTraceLines), events included. The probe was detached.')

    def decode_event(self, name, tbl, data, size):
        trunc = Truncation()
        max_bytes = self.limits['maxTraceLineBytes']
        fields = None
        try:
            event = tbl.event(data)
            if event._fields_:
                fields = c_value(event, max_bytes, trunc)
        except (Exception, SystemExit):  # noqa: BLE001 - BCC exits on a type it cannot map
            fields = None
        raw = ct.string_at(data, min(size, max_bytes // 2))
        if size > max_bytes // 2:
            trunc.cut = True
        message = {'map': name, 'size': size, 'truncated': trunc.cut}
        if fields is None:
            message['raw'] = raw.hex()  # no struct to decode with: the bytes themselves
        else:
            message['fields'] = fields
        return message

    def flush_events(self):
        while self.pending or self.dropped:
            batch, self.pending = self.pending[:EVENT_BATCH], self.pending[EVENT_BATCH:]
            self.send({'type': 'event', 'id': self.run_id, 'events': batch,
                       'dropped': self.dropped})
            self.dropped = 0

    def poll(self, timeout_ms):
        if self.ring:
            self.b.ring_buffer_consume()
        if self.perf:
            self.b.perf_buffer_poll(timeout=timeout_ms)
        elif self.ring:
            self.b.ring_buffer_poll(timeout=timeout_ms)
        else:
            self.stopping.wait(timeout_ms / 1000)

    # ------------------------------------------------------------------ maps

    def snapshot(self, final):
        maps = [self.map_snapshot(name, tbl) for name, tbl in self.tables]
        self.send({'type': 'maps', 'id': self.run_id, 'final': final, 'maps': maps})

    def map_snapshot(self, name, tbl):
        if tbl is None:
            return {'name': name, 'kind': 'unknown', 'keyType': '', 'valueType': '', 'entries': [],
                    'total': 0, 'more': 0, 'scanned': True, 'histogram': None,
                    'events': None, 'note': 'BCC could not open this map.'}
        kind = bcc_table.get_table_type_name(tbl.ttype).lower()
        snap = {'name': name, 'kind': kind, 'keyType': '', 'valueType': '', 'entries': [],
                'total': 0, 'more': 0, 'scanned': True, 'histogram': None, 'events': None,
                'note': ''}
        if tbl.ttype in (bcc_table.BPF_MAP_TYPE_PERF_EVENT_ARRAY, bcc_table.BPF_MAP_TYPE_RINGBUF):
            snap['events'] = self.counts.get(name, 0)
            return snap
        if tbl.ttype in NO_ENTRIES or not hasattr(tbl, 'Key'):
            snap['note'] = 'Entries of this kind of map are not shown.'
            return snap
        percpu = tbl.ttype in PERCPU
        snap['keyType'] = c_type_name(tbl.Key)
        snap['valueType'] = c_type_name(getattr(tbl, 'sLeaf', tbl.Leaf))
        if name in self.histograms:
            snap['histogram'] = self.histograms[name]
        try:
            rows, scanned = self.read_entries(tbl, percpu)
        except Exception as err:  # noqa: BLE001 - a map that cannot be read says why
            snap['note'] = f'Could not read this map: {err}'[:4096]
            return snap
        snap['scanned'] = scanned
        snap['total'] = len(rows)
        numeric = all(isinstance(r['value'], int) for r in rows)
        if tbl.ttype not in ARRAYS and snap['histogram'] is None and numeric:
            rows.sort(key=lambda r: r['value'], reverse=True)  # the biggest counts first
        limit = self.limits['maxMapEntries']
        snap['entries'], snap['more'] = rows[:limit], max(0, len(rows) - limit)
        for row in snap['entries']:
            for part in ('key', 'value'):
                if isinstance(row[part], int) and abs(row[part]) > JS_SAFE:
                    row[part] = str(row[part])
        return snap

    def read_entries(self, tbl, percpu):
        """Key/value rows (array maps: the non-zero ones), and whether every key was read."""
        max_bytes = self.limits['maxTraceLineBytes']
        trunc = Truncation()
        rows, count = [], 0
        array = tbl.ttype in ARRAYS
        for key in tbl.keys() if not array else (tbl.Key(i) for i in range(tbl.max_entries)):
            count += 1
            if count > MAX_SCANNED_KEYS:
                return rows, False
            try:
                leaf = tbl.getvalue(key) if percpu else tbl[key]
            except KeyError:
                continue  # deleted between reading the key and its value
            if percpu:
                per_cpu = [c_value(v, max_bytes, trunc) for v in leaf]
                if array and all(v == 0 for v in per_cpu):
                    continue
                total = sum(per_cpu) if all(isinstance(v, int) for v in per_cpu) else None
                rows.append({'key': c_value(key, max_bytes, trunc),
                             'value': total if total is not None else per_cpu,
                             'perCpu': per_cpu})
                continue
            if array and is_zero(leaf):
                continue
            rows.append({'key': c_value(key, max_bytes, trunc),
                         'value': c_value(leaf, max_bytes, trunc)})
        return rows, True

    # ------------------------------------------------------------------ the thread

    def run(self):
        next_maps = time.monotonic() + MAPS_INTERVAL_S
        # Maps alone need a look once a second; a stop wakes the wait at once. Only buffers,
        # whose events the learner waits for, are polled more often.
        timeout_ms = POLL_TIMEOUT_MS if self.perf or self.ring else MAPS_INTERVAL_S * 1000
        while not self.stopping.is_set():
            self.poll(timeout_ms)
            self.flush_events()
            if time.monotonic() >= next_maps and self.tables:
                self.snapshot(final=False)
                next_maps = time.monotonic() + MAPS_INTERVAL_S

    def finish(self):
        """After the probe is detached: what is still in the buffers, then the maps as they are
        left. Called on the worker's main thread once this thread has ended."""
        if self.perf or self.ring:
            if self.ring:
                self.b.ring_buffer_consume()
            if self.perf:
                self.b.perf_buffer_consume()
            self.flush_events()
        if self.tables:
            self.snapshot(final=True)
