#!/usr/bin/env bash
# Builds assets/ipxe/ipxe-arm64.efi (iPXE's snponly.efi for arm64 UEFI) from an iPXE source
# tree, with Debian's aarch64 cross compiler. Debian 12 ships no arm64 iPXE for amd64 hosts and
# this mirror serves no Debian source tarballs, so the source is upstream iPXE at a recorded
# commit (assets/ipxe/README.md). Unmodified upstream configuration: no embedded script, so the
# binary does DHCP on the NIC the firmware booted from and chains the file DHCP names, exactly
# as the Debian-built x64 snponly.efi does.
#
#   bash build/ipxe/build-arm64.sh IPXE_SOURCE_DIR [OUT]     (OUT default assets/ipxe/ipxe-arm64.efi)
#
# Needs: gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu make perl liblzma-dev (Debian).
set -euo pipefail
src=${1:?usage: build-arm64.sh IPXE_SOURCE_DIR [OUT]}
out=${2:-$(cd "$(dirname "$0")/../.." && pwd)/assets/ipxe/ipxe-arm64.efi}
[ -f "$src/src/Makefile" ] || { echo "build-arm64.sh: $src is not an iPXE source tree (no src/Makefile)" >&2; exit 2; }
command -v aarch64-linux-gnu-gcc >/dev/null || { echo "build-arm64.sh: no aarch64-linux-gnu-gcc (apt-get install gcc-aarch64-linux-gnu)" >&2; exit 2; }
make -C "$src/src" -j"$(nproc)" CROSS=aarch64-linux-gnu- bin-arm64-efi/snponly.efi
install -m 0644 "$src/src/bin-arm64-efi/snponly.efi" "$out"
sha256sum "$out"
