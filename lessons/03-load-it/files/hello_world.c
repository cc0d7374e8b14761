// This copy of the probe has two mistakes: one stops it compiling, and one gives the
// kernel's program the wrong name. The lesson helps you find both.
int hello(void *ctx) {
    bpf_trace_printk("Hello World!! \n")
    return 0;
}
