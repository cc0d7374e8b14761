int hello_world(void *ctx) {
    // TODO: print a message of your own with bpf_trace_printk.
    return 0;
}
