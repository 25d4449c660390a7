#!/usr/bin/env bash
# Builds dragonfly-localboot.efi (localboot.c) with Debian's gcc and gnu-efi, reproducibly:
# same compiler, gnu-efi and binutils give the same bytes (assets/localboot/README.md records
# them and the sha256; build/efi-localboot/build.test.ts rebuilds and compares).
# Usage: bash build/efi-localboot/build.sh [OUTPUT]   (default assets/localboot/dragonfly-localboot.efi)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../assets/localboot/dragonfly-localboot.efi}"
lib=/usr/lib
for f in /usr/include/efi/efi.h "$lib/crt0-efi-x86_64.o" "$lib/elf_x86_64_efi.lds" "$lib/libgnuefi.a" "$lib/libefi.a"; do
  [ -e "$f" ] || { echo "build-localboot: $f missing: install Debian's gnu-efi (apt-get install gnu-efi)" >&2; exit 1; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The flags gnu-efi's own x86_64 build uses for applications (ms_abi wrappers, no red zone,
# position independent); no debug info, so no build path ends up in the object.
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
  -ffreestanding -fno-stack-protector -fno-stack-check -fshort-wchar -fpic -mno-red-zone \
  -maccumulate-outgoing-args -DEFI_FUNCTION_WRAPPER -DGNU_EFI_USE_MS_ABI \
  -I/usr/include/efi -I/usr/include/efi/x86_64 \
  -c "$here/localboot.c" -o "$work/localboot.o"
ld -nostdlib -znocombreloc -shared -Bsymbolic --build-id=none -T "$lib/elf_x86_64_efi.lds" \
  "$lib/crt0-efi-x86_64.o" "$work/localboot.o" -o "$work/localboot.so" \
  -L"$lib" -lefi -lgnuefi
objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela -j '.rel.*' -j '.rela.*' -j .reloc \
  --target efi-app-x86_64 --subsystem=10 "$work/localboot.so" "$work/localboot.efi"
# The PE/COFF time stamp (4 bytes, 8 after the "PE\0\0" signature whose offset sits at 0x3c):
# binutils 2.40 writes 0 for an ELF input, other versions may stamp the build time; zero it so
# the bytes depend only on the inputs whatever objcopy did.
node -e '
  const fs = require("node:fs"); const b = fs.readFileSync(process.argv[1]);
  const pe = b.readUInt32LE(0x3c);
  if (b.toString("latin1", pe, pe + 4) !== "PE\0\0") { console.error("build-localboot: not a PE image"); process.exit(1); }
  b.writeUInt32LE(0, pe + 8); fs.writeFileSync(process.argv[1], b);' "$work/localboot.efi"
mkdir -p "$(dirname "$out")"
cp "$work/localboot.efi" "$out"
sha256sum "$out"
