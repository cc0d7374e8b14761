#!/bin/bash
# Inside the test VM: what `vagrant up` does, then a marker line on the console.
#   (no argument)  copy the repository (second disk, labelled ebpf-lab-repo) to /opt/ebpf-lab as
#                  Vagrant's rsync synced folder does, then run the provisioning script;
#                  prints `PROVISION-EXIT <code>`.
#   --again        run the provisioning script again (`vagrant provision`);
#                  prints `PROVISION-AGAIN-EXIT <code>`.
set -u
marker=PROVISION-EXIT
if [ "${1:-}" = --again ]; then
  marker=PROVISION-AGAIN-EXIT
else
  echo "PROVISION-START kernel $(uname -r), $(nproc) CPU(s), $(date -u +%FT%TZ)"
  mkdir -p /mnt/ebpf-lab-repo /opt/ebpf-lab
  if ! mount -o ro LABEL=ebpf-lab-repo /mnt/ebpf-lab-repo ||
    ! cp -a /mnt/ebpf-lab-repo/. /opt/ebpf-lab/; then
    echo "$marker 97 (cannot copy the repository from the disk labelled ebpf-lab-repo)"
    exit 97
  fi
  umount /mnt/ebpf-lab-repo
fi
# Vagrant's shell provisioner uploads the script to /tmp/vagrant-shell and runs it as root
# (sudo) with the provisioner's env, from the SSH user's home.
install -m 0755 /opt/ebpf-lab/scripts/vagrant-provision.sh /tmp/vagrant-shell
started=$(date +%s)
(cd /home/vagrant && EBPF_LAB_DIR=/opt/ebpf-lab /tmp/vagrant-shell)
code=$?
echo "$marker $code ($(($(date +%s) - started)) s)"
exit "$code"
