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
# TODO (Step 3): find the kernel's name for the clone syscall, attach hello_world to it
# with a kprobe, then print the trace output as it arrives.
