// An XDP program: runs for every packet that arrives on a network device, before the kernel's
// network stack sees it, and returns what to do with it (XDP_PASS: carry on as usual).
#include <uapi/linux/bpf.h>
#include <uapi/linux/if_ether.h>
#include <uapi/linux/ip.h>

#define OTHER 256

// Packets seen, by IP protocol number (1 ICMP, 6 TCP, 17 UDP); OTHER counts the rest.
BPF_HASH(packets, u32, u64);

int count_packets(struct xdp_md *ctx) {
    void *data = (void *)(long)ctx->data;          // the packet's first byte
    void *data_end = (void *)(long)ctx->data_end;  // just past its last byte
    u32 key = OTHER;

    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)  // too short to hold an Ethernet header
        return XDP_PASS;

    if (eth->h_proto == htons(ETH_P_IP)) {
        struct iphdr *ip = (void *)(eth + 1);
        if ((void *)(ip + 1) > data_end)  // too short to hold an IPv4 header
            return XDP_PASS;
        key = ip->protocol;
    }

    packets.increment(key);
    return XDP_PASS;
}
