// A handler: the kernel calls it each time the event chosen in "Attach to" happens.
int show_process(void *ctx) {
    char comm[16] = "?";
    u32 pid = 0;

    // TODO: fill comm with the name of the process that caused the event,
    // and pid with its process id (the lesson shows the two helpers).

    bpf_trace_printk("%s (pid %d)\n", comm, pid);
    return 0;
}
