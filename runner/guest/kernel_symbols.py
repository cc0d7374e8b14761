"""The kernel symbols `bpftool prog dump xlated` needs, without it reading all of /proc/kallsyms.

bpftool reads /proc/kallsyms only to name call targets: `call bpf_trace_printk#-98144` is the
symbol at __bpf_call_base + imm. It reads all of it (about 159,000 symbols: the kernel renders
some 7 MB of text, and bpftool reallocates its table once per symbol), which under software
emulation took 2-4 s of the 5 s between Run and "Attached". Here the file is read once per
sandbox (ahead of need, so a VM template already holds it), and each dump is given a kallsyms of
just the lines bpftool will look up: the same lines, so the same output.

No bcc import here: the host's unit tests run this module with a made-up kallsyms.
"""

import re
import struct
import threading

KALLSYMS = '/proc/kallsyms'
BPF_CALL = 0x85  # BPF_JMP | BPF_CALL
BPF_PSEUDO_CALL = 1  # a call to another function of the same program
INSN_SIZE = 8


def call_addresses(insns, call_base):
    """The addresses bpftool looks up to name the calls in xlated instructions `insns`: each
    helper or kfunc call lands on __bpf_call_base + imm. None when a call is to another function
    of the program: those are named by the program's own `[bpf]` symbols, which change with
    every load, so only the real /proc/kallsyms has them."""
    addresses = []
    for offset in range(0, len(insns) - INSN_SIZE + 1, INSN_SIZE):
        code, regs, _off, imm = struct.unpack_from('=BBhi', insns, offset)
        if code != BPF_CALL:
            continue
        if regs >> 4 == BPF_PSEUDO_CALL:
            return None
        address = (call_base + imm) & 0xFFFFFFFFFFFFFFFF
        if address not in addresses:
            addresses.append(address)
    return addresses


class KernelSymbols:
    """A copy of /proc/kallsyms, read once, and the few lines of it a dump needs."""

    def __init__(self, path=KALLSYMS):
        self.path = path
        self.text = None
        self.call_base_line = None
        self.lock = threading.Lock()

    def load(self):
        """Reads the file unless read already (safe from several threads). False when it is not
        usable: unreadable, or addresses hidden (kptr_restrict shows them as zeros)."""
        with self.lock:
            if self.text is None:
                try:
                    with open(self.path, 'rb') as f:
                        # A leading newline: every line, the first too, starts after one.
                        text = b'\n' + f.read()
                except OSError:
                    text = b''
                base = re.search(rb'\n([0-9a-f]+) \S __bpf_call_base\n', text)
                if base and int(base.group(1), 16) != 0:
                    self.call_base_line = base.group(0)[1:]
                self.text = text
            return self.call_base_line is not None

    def load_in_background(self):
        threading.Thread(target=self.load, name='kallsyms', daemon=True).start()

    @property
    def call_base(self):
        return int(self.call_base_line.split()[0], 16)

    def line_at(self, address):
        """The one kallsyms line at `address`, or None when there is none, or several (bpftool
        would pick one of them by its own sort), or it is a BPF program's (those come and go, so
        the copy may be stale)."""
        key = b'\n%016x ' % address
        start = self.text.find(key)
        if start < 0 or self.text.find(key, start + 1) >= 0:
            return None
        end = self.text.find(b'\n', start + 1)
        line = self.text[start + 1:end + 1 if end >= 0 else len(self.text)]
        if line.rstrip().endswith(b'[bpf]'):
            return None
        return line if line.endswith(b'\n') else line + b'\n'

    def for_dump(self, insns):
        """The kallsyms text with which bpftool names every call in `insns` as it would with the
        whole file, or None when that cannot be promised (then use the whole file)."""
        if not self.load():
            return None
        addresses = call_addresses(insns, self.call_base)
        if addresses is None:
            return None
        lines = [self.call_base_line]
        for address in addresses:
            line = self.line_at(address)
            if line is None:
                return None
            lines.append(line)
        return b''.join(lines)
