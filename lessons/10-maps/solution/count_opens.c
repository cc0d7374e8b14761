// Counts the files each program opens, in a hash map the Python script reads.
struct key_t {
    char comm[16];
};

// A map: key = a program name, value = how many files it has opened.
BPF_HASH(opens, struct key_t, u64);

int count_open(void *ctx) {
    struct key_t key = {};
    bpf_get_current_comm(&key.comm, sizeof(key.comm));

    opens.increment(key);
    return 0;
}
