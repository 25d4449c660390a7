#!/usr/bin/env bash
# Debian packages the tests drive as real peers (DHCP/TFTP clients and servers, ipmi_sim,
# etcd, QEMU and firmware, chromium): the one install list. core/testing/peers.ts maps each
# binary a test runs to a package here (its test checks that). npm test runs this first.
# As root: installs what is missing (idempotent). Not root: installs nothing and says in one
# line what is missing and how to get it; exits 0, or 1 under CI=true, where a missing peer
# is a failure.
set -euo pipefail
pkgs=(
  iproute2 tcpdump tshark curl zstd xz-utils tar gzip cpio kmod fdisk gdisk e2fsprogs util-linux mount
  isc-dhcp-client busybox-static dnsmasq-base kea-admin
  tftpd-hpa tftp-hpa atftp
  openipmi ipmitool
  etcd-server etcd-client
  qemu-system-x86 qemu-utils ipxe-qemu ovmf ipxe
  chromium xvfb
  nginx-light redfishtool openssl
  grub-pc-bin grub-efi-amd64-bin grub2-common dosfstools mtools
  qemu-system-arm qemu-efi-aarch64
  shim-signed grub-efi-amd64-signed sbsigntool
  qemu-user-static
  gcc gnu-efi
)
in_ci() { [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; }
say_and_leave() { echo "$1"; if in_ci; then exit 1; fi; exit 0; }

if ! command -v dpkg-query >/dev/null 2>&1; then
  say_and_leave "test peers: not a Debian system (no dpkg-query); install the equivalents of the list in .ci/apt-packages.sh yourself — suites whose peers are missing are named at the end of the run"
fi
installed=" $(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${pkgs[@]}" 2>/dev/null | awk '$1 == "ii" { printf "%s ", $2 }' || true) "
missing=()
for p in "${pkgs[@]}"; do [[ "$installed" == *" $p "* ]] || missing+=("$p"); done

if [ "$(id -u)" != 0 ]; then
  [ ${#missing[@]} -eq 0 ] && { echo "Debian packages present: ${#pkgs[@]}"; exit 0; }
  say_and_leave "test peers: ${#missing[@]} Debian packages missing (${missing[*]}): run 'sudo bash .ci/apt-packages.sh' (or npm test as root) to install them — until then the suites that drive them are named at the end of the run"
fi
# apt-get download (agent image) and apt-cache need package lists even when nothing is missing.
ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${#missing[@]} Debian packages the tests drive: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "Debian packages present: ${#pkgs[@]}"
