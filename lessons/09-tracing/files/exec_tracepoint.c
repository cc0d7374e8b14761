// A tracepoint handler. TRACEPOINT_PROBE(category, event) attaches by itself when you press
// Run (Attach to: Automatic), and args-> holds the event's documented fields.
TRACEPOINT_PROBE(syscalls, sys_enter_execve) {
    bpf_trace_printk("exec %s\n", args->filename);
    return 0;
}
