#!/usr/bin/env bash
# Builds assets/ipxe/snponly.efi (iPXE's snponly.efi for x86-64 UEFI) from an iPXE source tree
# with the host's gcc. Upstream iPXE rather than Debian 12's 2019 build because a provisioned
# UEFI machine is booted from its disk with `sanboot --drive 0` (core/boot/script.ts), which
# iPXE supports on UEFI only since 2024 (commit b1c13cc, "Allow booting from local disks via the
# sanboot command"). Same recorded commit and unmodified configuration as the arm64 build
# (build-arm64.sh, assets/ipxe/README.md): no embedded script.
#
#   bash build/ipxe/build-x64.sh IPXE_SOURCE_DIR [OUT]     (OUT default assets/ipxe/snponly.efi)
#
# Needs: gcc binutils make perl liblzma-dev (Debian), on an x86-64 host.
set -euo pipefail
src=${1:?usage: build-x64.sh IPXE_SOURCE_DIR [OUT]}
out=${2:-$(cd "$(dirname "$0")/../.." && pwd)/assets/ipxe/snponly.efi}
[ -f "$src/src/Makefile" ] || { echo "build-x64.sh: $src is not an iPXE source tree (no src/Makefile)" >&2; exit 2; }
[ "$(uname -m)" = x86_64 ] || { echo "build-x64.sh: builds on an x86-64 host only (this is $(uname -m))" >&2; exit 2; }
make -C "$src/src" -j"$(nproc)" bin-x86_64-efi/snponly.efi
install -m 0644 "$src/src/bin-x86_64-efi/snponly.efi" "$out"
sha256sum "$out"
