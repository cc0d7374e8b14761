int hello_world(void *ctx) {
    // TODO: print "Hello World!!" with bpf_trace_printk.
    return 0;
}
