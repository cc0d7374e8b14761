// A handler: the kernel calls it each time the event chosen in "Attach to" happens.
int show_process(void *ctx) {
    char comm[16] = "?";
    u32 pid = 0;

    bpf_get_current_comm(&comm, sizeof(comm));
    pid = bpf_get_current_pid_tgid() >> 32;

    bpf_trace_printk("%s (pid %d)\n", comm, pid);
    return 0;
}
