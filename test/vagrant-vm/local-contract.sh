#!/bin/bash
# Inside the test VM, typed on its console by test/e2e/vagrant-provision.test.ts after the
# provisioning: the sandbox contract against the `local` driver in this VM's kernel
# (test/e2e/local-sandbox.test.ts). It runs in a copy of the provisioned /opt/ebpf-lab, with
# the host's test tooling from the disk labelled ebpf-lab-tools (its Node.js 20 and
# node_modules: vitest 4 needs Node.js 20, the lab runs on Debian 12's 18).
# Prints `LOCAL-CONTRACT-EXIT <code>`.
set -u
tools=/mnt/ebpf-lab-tools
work=/root/ebpf-lab-tests
fail() {
  echo "LOCAL-CONTRACT-EXIT 97 ($*)"
  exit 97
}
mkdir -p "$tools"
mountpoint -q "$tools" || mount LABEL=ebpf-lab-tools "$tools" ||
  fail "cannot mount the disk labelled ebpf-lab-tools"
rsync -a --delete --exclude=/node_modules/ /opt/ebpf-lab/ "$work/" ||
  fail "cannot copy /opt/ebpf-lab to $work"
mkdir -p "$work/node_modules"
mountpoint -q "$work/node_modules" || mount --bind "$tools/node_modules" "$work/node_modules" ||
  fail "cannot bind the tools disk's node_modules into $work"
# The lab's own sessions would share this kernel's trace pipe with the tests: pause the lab.
systemctl stop ebpf-lab
cd "$work" || fail "no $work"
NO_COLOR=1 "$tools/node" node_modules/vitest/vitest.mjs run test/e2e/local-sandbox.test.ts \
  --reporter=verbose
code=$?
systemctl start ebpf-lab
echo "LOCAL-CONTRACT-EXIT $code"
exit "$code"
