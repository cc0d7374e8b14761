#!/bin/sh
# mmdebstrap customize hook ($1 = the new root): remove what mmdebstrap copied from the host
# and what the sandbox does not need. Nothing of the host may leak into the guest.
set -eu
root="$1"
echo sandbox >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
  >"$root/etc/hosts"
: >"$root/etc/resolv.conf"
rm -f "$root"/boot/initrd.img-*
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
# The learner is root in the sandbox; `sudo CMD` (as the guide writes it) must just work.
mkdir -p "$root/root"
