#include <linux/fs.h>
#include <linux/errno.h>

// A BPF LSM program: the kernel asks it before any file is opened, by anyone (root too).
// Return 0 to allow the open, or a negative error number such as -EPERM to refuse it.
LSM_PROBE(file_open, struct file *file)
{
    // The name of the file being opened (its last path component, like "secret.txt").
    char name[32];
    bpf_probe_read_kernel_str(&name, sizeof(name), file->f_path.dentry->d_name.name);

    // Only files whose name starts with "secret" concern this guard.
    const char prefix[] = "secret";
    for (int i = 0; i < sizeof(prefix) - 1; i++) {
        if (name[i] != prefix[i])
            return 0;
    }

    int verdict = 0;  // 0: let the open happen
    verdict = -EPERM;

    bpf_trace_printk("%s: verdict %d", name, verdict);
    return verdict;
}
