#!/usr/bin/env bash
# Debian packages the tests drive as real peers (DHCP/TFTP clients and servers, ipmi_sim,
# etcd, QEMU and firmware, chromium). Idempotent; needs root.
set -euo pipefail
pkgs=(
  iproute2 tcpdump tshark curl zstd cpio kmod fdisk gdisk e2fsprogs util-linux
  isc-dhcp-client busybox-static dnsmasq-base kea-admin
  tftpd-hpa tftp-hpa atftp
  openipmi ipmitool
  etcd-server etcd-client
  qemu-system-x86 qemu-utils ipxe-qemu ovmf ipxe
  chromium xvfb
  nginx-light redfishtool openssl
  grub-pc-bin grub-efi-amd64-bin grub2-common dosfstools mtools
)
# apt-get download (agent image) and apt-cache need package lists even when nothing is missing.
ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || apt-get update -qq
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "Debian packages present: ${#pkgs[@]}"
