#!/bin/bash
# Classic BPF: tcpdump compiles a filter expression into a small program for the kernel.
# -d prints that program as readable instructions. Try your own expressions below,
# then run this file in the shell:  bash filters.sh

echo "== ip and tcp port 80 =="
tcpdump -d 'ip and tcp port 80'

echo "== arp =="
tcpdump -d 'arp'

echo "== udp port 53 (as the numbers the kernel receives) =="
tcpdump -dd 'udp port 53'
