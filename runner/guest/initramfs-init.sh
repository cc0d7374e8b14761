#!/bin/busybox sh
# PID 1 of the sandbox's initramfs: load the virtio drivers that are modules, mount the read-only root image
# under a tmpfs overlay (the learner can write anywhere; nothing persists), mount what BCC and
# the shell need, copy in the agent, and hand over to busybox init in the real root.
# Everything here runs on the initramfs's static busybox: cheaper than any process in the
# real root, and boot time is what a learner waits for.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fail() {
  echo "ebpf-lab-init: $*" >&2
  poweroff -f
}

# The image build wrote the order (dependencies first); drivers the kernel has built in are not
# listed.
while read -r module; do
  insmod "/modules/$module.ko" || fail "cannot load $module"
done </modules/load-order

tries=0
while [ ! -b /dev/vda ]; do
  tries=$((tries + 1))
  [ "$tries" -gt 500 ] && fail "no root disk (/dev/vda)"
  sleep 0.02
done

# One tmpfs holds every file the sandbox writes (the overlay's upper layer, /tmp, /dev/shm,
# /run), with one size: separate tmpfs mounts may each take half the RAM, so together they
# could take all of it. The host passes the size (runner/limits.ts) on the command line.
files_mib=256
for arg in $(cat /proc/cmdline); do
  case "$arg" in ebpf_lab.files_mib=*) files_mib="${arg#*=}" ;; esac
done
mount -t ext4 -o ro /dev/vda /ro || fail "cannot mount the root image"
mount -t tmpfs -o "mode=0755,size=${files_mib}m" tmpfs /rw || fail "cannot mount the overlay tmpfs"
mkdir -p /rw/upper /rw/work /rw/tmp /rw/shm /rw/run
chmod 1777 /rw/tmp /rw/shm
mount -t overlay overlay -o lowerdir=/ro,upperdir=/rw/upper,workdir=/rw/work /newroot ||
  fail "cannot mount the overlay"
cp -a /payload/. /newroot/ || fail "cannot install the agent"

mount --move /dev /newroot/dev
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /newroot/dev/pts
mount --bind /rw/shm /newroot/dev/shm
mount --bind /rw/tmp /newroot/tmp
mount --bind /rw/run /newroot/run
# The lab's own scratch files (the BCC worker's captured stderr, bytecode dumps) on a small
# tmpfs of their own: a learner who fills the shared budget above must not stop the next Run.
mkdir -p /newroot/run/ebpf-lab
mount -t tmpfs -o mode=0700,size=32m tmpfs /newroot/run/ebpf-lab
mount -t cgroup2 cgroup2 /newroot/sys/fs/cgroup || fail "cannot mount cgroup2"
mount -t debugfs debugfs /newroot/sys/kernel/debug
mount -t tracefs tracefs /newroot/sys/kernel/tracing
mount -t bpf bpf /newroot/sys/fs/bpf
ln -sf /proc/self/fd /newroot/dev/fd
hostname sandbox
ip link set lo up
exec switch_root /newroot /bin/busybox init
