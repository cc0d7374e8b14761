#!/usr/bin/env bash
# Provisions a Debian 12 VM to run the lab with the `local` sandbox driver: BCC and the headers
# for the running kernel, bpftool, bpftrace, Node.js; builds the app; runs it as a systemd
# service that restarts on failure. Idempotent: running it again changes nothing that is right,
# and restarts the lab only when its files changed.
# Fails loudly, naming what is missing, when the VM's kernel cannot run the lab.
#
# Usage (as root, inside the VM): EBPF_LAB_DIR=/opt/ebpf-lab scripts/vagrant-provision.sh
#        scripts/vagrant-provision.sh --check   only check the kernel; install nothing
set -euo pipefail

app_dir="${EBPF_LAB_DIR:-/opt/ebpf-lab}"
service=ebpf-lab
kernel="$(uname -r)"

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'ebpf-lab provisioning failed: %s\n' "$*" >&2; exit 1; }

check_only=false
case "${1:-}" in
  --check) check_only=true ;;
  "") ;;
  *) die "unknown argument '$1' (usage: $0 [--check])" ;;
esac

[ "$(id -u)" -eq 0 ] || die "run as root (Vagrant's shell provisioner does)"

step "checking the kernel ($kernel) can run eBPF probes"
config="/boot/config-$kernel"
missing=()
[ -e /sys/kernel/btf/vmlinux ] || missing+=("BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF)")
if [ -r "$config" ]; then
  for option in CONFIG_BPF_SYSCALL CONFIG_KPROBES CONFIG_KPROBE_EVENTS CONFIG_BPF_EVENTS; do
    grep -q "^$option=y" "$config" || missing+=("$option")
  done
else
  missing+=("the kernel config ($config) to check kprobe support")
fi
if [ "${#missing[@]}" -gt 0 ]; then
  die "the VM's kernel lacks: ${missing[*]}. Use a box with Debian's stock kernel (EBPF_LAB_BOX)."
fi
if "$check_only"; then
  echo "this kernel can run the lab's probes (--check: nothing installed)"
  exit 0
fi
[ -f "$app_dir/package.json" ] || die "no ebpf-lab checkout at $app_dir (EBPF_LAB_DIR)"

step "installing packages (BCC, headers for $kernel, bpftool, bpftrace, Node.js)"
export DEBIAN_FRONTEND=noninteractive
# binutils: objdump shows the JIT's machine code in the lab's bytecode view.
packages=(
  python3-bpfcc bpfcc-tools bpftool bpftrace "linux-headers-$kernel" binutils
  nodejs npm rsync curl tcpdump iproute2 procps sudo
)
absent=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed ||
    absent+=("$package")
done
if [ "${#absent[@]}" -gt 0 ]; then
  apt-get update
  apt-get install -y --no-install-recommends "${absent[@]}" ||
    die "apt-get could not install: ${absent[*]} (is linux-headers-$kernel in the archive?)"
else
  echo "all installed"
fi
python3 -c 'import bcc' || die "python3 cannot import bcc after installing python3-bpfcc"

step "building the app in $app_dir"
cd "$app_dir"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
node scripts/build-client.mjs

step "installing the $service service"
unit="/etc/systemd/system/$service.service"
desired="$(cat <<UNIT
[Unit]
Description=ebpf-lab web lab (local sandbox: probes run in this VM's kernel)
After=network.target

[Service]
Type=simple
WorkingDirectory=$app_dir
Environment=EBPF_LAB_CACHE=/var/cache/ebpf-lab
ExecStart=/usr/bin/node $app_dir/bin/ebpf-lab.js serve --host 0.0.0.0 --sandbox local
Restart=on-failure
RestartSec=2

[Install]
WantedBy=multi-user.target
UNIT
)"
if [ ! -f "$unit" ] || [ "$(cat "$unit")" != "$desired" ]; then
  printf '%s\n' "$desired" > "$unit"
  systemctl daemon-reload
fi
systemctl enable "$service" >/dev/null

# A restart ends every learner's sandbox: restart only when what the service runs has changed
# since it last started (the unit, the app's files, its dependencies; not Python's caches), or
# when it is not running.
stamp=/var/lib/ebpf-lab/deployed.sha256
deployed="$(
  cd "$app_dir" &&
    { cat "$unit"; cat node_modules/.package-lock.json
      find . \( -path ./node_modules -o -path ./test-results -o -name __pycache__ \) -prune \
        -o -type f -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -d' ' -f1
)"
if systemctl is-active --quiet "$service" && [ "$(cat "$stamp" 2>/dev/null)" = "$deployed" ]; then
  echo "nothing changed since the $service service started: it keeps running"
else
  systemctl restart "$service"
fi

step "waiting for the lab to answer on port 3000"
for _ in $(seq 1 60); do
  if curl -fsS http://127.0.0.1:3000/healthz >/dev/null 2>&1; then
    mkdir -p "$(dirname "$stamp")"
    printf '%s\n' "$deployed" > "$stamp"
    echo "ebpf-lab is up: open http://localhost:3000 on the host"
    exit 0
  fi
  sleep 1
done
journalctl -u "$service" -n 30 --no-pager >&2 || true
die "the service did not answer on port 3000 within 60 s (journalctl -u $service)"
