int hello_world(void *ctx) {
    bpf_trace_printk("A new process!\n");
    return 0;
}
