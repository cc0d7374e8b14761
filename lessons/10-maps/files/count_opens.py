#!/usr/bin/python3
# Loads count_opens.c, attaches it to the openat system call, and every few seconds prints
# what the probe has counted in its map. Run it in the shell:  python3 count_opens.py
import time
from bcc import BPF

b = BPF(src_file="count_opens.c")
b.attach_kprobe(event=b.get_syscall_fnname("openat"), fn_name="count_open")
opens = b["opens"]  # the map, as seen from user space
print("Counting the files each program opens. Press Ctrl+C to stop.")

shown = None
while True:
    try:
        time.sleep(3)
    except KeyboardInterrupt:
        break
    # Read every key and value out of the map (each read is a bpf() system call).
    rows = [(key.comm.decode(errors="replace"), count.value) for key, count in opens.items()]
    rows.sort(key=lambda row: row[1], reverse=True)
    if rows == shown:
        continue  # nothing new
    shown = rows
    print(f"--- files opened since the start, by program ({time.strftime('%H:%M:%S')})")
    for name, count in rows[:8]:
        print(f"{name:<16} {count:>6} opens")
