#!/usr/bin/python3
# A uprobe: an eBPF program that runs when a user-space program (here bash) calls one of its
# own functions. Run it in the shell:  python3 bash_execs.py &
from bcc import BPF

program = r"""
#include <uapi/linux/ptrace.h>

// bash calls shell_execve(command, args, env) to start each program you type.
int on_shell_execve(struct pt_regs *ctx) {
    char command[64];
    bpf_probe_read_user_str(&command, sizeof(command), (void *)PT_REGS_PARM1(ctx));
    bpf_trace_printk("bash runs %s", command);
    return 0;
}
"""

b = BPF(text=program)
b.attach_uprobe(name="/bin/bash", sym="shell_execve", fn_name="on_shell_execve")
print("Watching bash start programs. Type a command.", flush=True)

while True:
    try:
        task, pid, cpu, flags, ts, message = b.trace_fields()
    except KeyboardInterrupt:
        break
    print(f"[pid {pid}] {message.decode()}", flush=True)
