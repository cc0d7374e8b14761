// Step 1: write the probe. This function will run inside the kernel every time the
// event it is attached to happens. Make it print "Hello World!!" with bpf_trace_printk.
int hello_world(void *ctx) {

    return 0;
}
