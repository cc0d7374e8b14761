// Counts the processes created since Run, in a map: memory the kernel keeps between events.
BPF_ARRAY(counter, u64, 1);

int count_clones(void *ctx) {
    int zero = 0;
    u64 *count = counter.lookup(&zero);
    *count += 1;
    bpf_trace_printk("process number %llu\n", *count);
    return 0;
}
