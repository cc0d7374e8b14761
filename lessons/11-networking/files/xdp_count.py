#!/usr/bin/python3
# Makes a virtual network cable (veth0 <-> veth1), attaches xdp_count.c to veth1, sends a UDP
# packet into veth0 every 2 seconds, and prints what the XDP program has counted.
# Run it in the shell:  python3 xdp_count.py
import signal
import socket
import subprocess
import sys
import time
from bcc import BPF

DEVICE = "veth1"
NAMES = {1: "ICMP", 6: "TCP", 17: "UDP", 256: "other"}


def sh(command):
    subprocess.run(command, shell=True, check=True)


def make_veth_pair():
    """What is sent out of veth0 arrives on veth1. 10.0.0.2 is a made-up host behind veth1."""
    if subprocess.run(["ip", "link", "show", DEVICE], capture_output=True).returncode == 0:
        return  # made by an earlier run
    sh("modprobe veth")
    sh("ip link add veth0 type veth peer name veth1")
    sh("ip addr add 10.0.0.1/24 dev veth0")
    sh("ip link set veth0 up && ip link set veth1 up")
    # Give veth0 the hardware address of "10.0.0.2", so it sends packets without asking (ARP).
    sh("ip neigh replace 10.0.0.2 lladdr $(cat /sys/class/net/veth1/address) dev veth0")


make_veth_pair()
b = BPF(src_file="xdp_count.c")
fn = b.load_func("count_packets", BPF.XDP)  # load it as an XDP program (the verifier runs here)
b.attach_xdp(DEVICE, fn, 0)
# Detach cleanly on Ctrl+C, kill or a closed terminal: an XDP program outlives its loader.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
signal.signal(signal.SIGHUP, lambda *_: sys.exit(0))
print(f"Counting the packets that arrive on {DEVICE}. Press Ctrl+C to stop.")

sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
packets = b["packets"]
try:
    while True:
        sender.sendto(b"hello, XDP", ("10.0.0.2", 9))  # one UDP packet out of veth0
        time.sleep(2)
        counts = sorted((NAMES.get(k.value, f"protocol {k.value}"), v.value) for k, v in packets.items())
        print("packets so far: " + ", ".join(f"{name} {n}" for name, n in counts))
except KeyboardInterrupt:
    pass
finally:
    b.remove_xdp(DEVICE, 0)
    print(f"Detached from {DEVICE}.")
