#!/usr/bin/python3
# The beginner's guide's whole program: compile the C probe, attach it to clone, print its output.
from bcc import BPF

program = r"""
int hello_world(void *ctx) {
    bpf_trace_printk("Hello World!! \n");
    return 0;
}
"""

b = BPF(text=program)
syscall = b.get_syscall_fnname("clone")
b.attach_kprobe(event=syscall, fn_name="hello_world")
b.trace_print()
