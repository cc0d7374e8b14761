#!/bin/sh
# mmdebstrap customize hook for the Vagrant-equivalent test VM ($1 = the new root, $2 = this
# folder, $3 = a folder of extra CA certificates, possibly empty). Makes the clean Debian 12 root bootable under qemu's microvm the way a
# debian/bookworm64 box boots: systemd, ifupdown with DHCP on eth0, a `vagrant` user (who owns
# the synced folder, as Vagrant's rsync leaves it), and the units that stand in for `vagrant up`:
# copy the repository from the second disk to /opt/ebpf-lab, then run the provisioning script.
set -eu
root="$1"
here="$2"
extra_ca="$3"

echo ebpf-lab >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tebpf-lab\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
  >"$root/etc/hosts"
printf 'LABEL=ebpf-lab-vm\t/\text4\tdefaults\t0\t1\n' >"$root/etc/fstab"
# As Debian's Vagrant boxes: eth0 (net.ifnames=0 on the command line), DHCP from ifupdown.
# qemu's user-mode network answers DHCP and DNS; dhclient writes resolv.conf.
mkdir -p "$root/etc/network/interfaces.d"
printf 'auto eth0\niface eth0 inet dhcp\n' >"$root/etc/network/interfaces.d/eth0"
: >"$root/etc/resolv.conf"

# The root file system is on virtio-mmio (qemu's microvm): the initramfs needs those modules.
printf 'virtio_mmio\nvirtio_blk\nvirtio_net\nvirtio_rng\next4\n' >>"$root/etc/initramfs-tools/modules"
chroot "$root" update-initramfs -u -k all

# The box's user; the synced folder belongs to it, as `rsync__chown` leaves it.
chroot "$root" useradd --create-home --uid 1000 --user-group --shell /bin/bash vagrant

# A root shell on the serial console, so the test can run the provisioning again.
mkdir -p "$root/etc/systemd/system/serial-getty@ttyS0.service.d"
cat >"$root/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" <<'UNIT'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --noclear --keep-baud 115200,57600,38400,9600 %I $TERM
UNIT

install -m 0755 "$here/vm-provision.sh" "$root/usr/local/sbin/ebpf-lab-vm-provision"
cat >"$root/etc/systemd/system/ebpf-lab-vm-provision.service" <<'UNIT'
[Unit]
Description=What `vagrant up` does: sync /opt/ebpf-lab, run scripts/vagrant-provision.sh
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
Environment=HOME=/root
ExecStart=/usr/local/sbin/ebpf-lab-vm-provision
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
UNIT
chroot "$root" systemctl enable ebpf-lab-vm-provision.service

# Certificate authorities this host adds to Debian's (a TLS-intercepting egress proxy, say):
# the VM reaches the network through this host, so it must trust them too.
if [ -n "$(ls "$extra_ca" 2>/dev/null)" ]; then
  cp "$extra_ca"/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates
fi

rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
