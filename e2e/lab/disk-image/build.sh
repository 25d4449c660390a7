#!/usr/bin/env bash
# Builds the lab's "installed OS": a small raw disk image that boots on BIOS and on UEFI and
# proves, on the serial console, that a machine booted from its local disk.
#
#   bash e2e/lab/disk-image/build.sh      (no root needed once the Debian packages are there:
#                                          no loop device, no mount)
#
# Output, in .cache/lab-disk/ at the repo root (gitignored):
#   disk.raw          the raw image (DISK_MIB, default 64 MiB)
#   disk.raw.zst      the same, zstd-compressed (what image2disk downloads)
#   disk.raw.sha256   sha256 of the DECOMPRESSED raw image (the template's checksum)
#   disk.raw.zst.sha256
#   manifest.json     sizes, digests, kernel version, marker
#
# Layout (GPT): 1 = BIOS boot partition (1 MiB, GRUB's core.img for SeaBIOS),
#               2 = EFI system partition (FAT32, label DFESP): GRUB for BIOS and UEFI, the
#                   Debian kernel, a busybox initramfs and grub.cfg.
# Everything comes from Debian packages: linux-image-amd64 and busybox-static are fetched
# with `apt-get download` into the cache (or reused from build/agent's cache); GRUB comes
# from grub-pc-bin + grub-efi-amd64-bin (installed with apt-get if missing).
#
# At boot the initramfs prints one line to the serial console:
#   DRAGONFLY-LOCAL-BOOT-OK <host> firmware=bios|uefi
#   DRAGONFLY-SEED <seed>
# <host> and <seed> come from /dragonfly-seed.txt on the ESP (the template's writefile action
# writes it: lines "hostname=NAME" and "seed=WORD"; GRUB reads it), else "unnamed"/"none".
# Then it powers off (QEMU with -no-reboot exits). With a line "console=login" in the seed file
# (kernel argument dragonfly.console=login) it stays up instead: hostname NAME, and busybox getty
# on ttyS0 asks "NAME login:"; user root has no password (a lab OS, never a real one).
#
#   DRAGONFLY-SECURE-BOOT on|off|unknown|bios lockdown=<the kernel's lockdown mode>
# (the SecureBoot EFI variable read through efivarfs, and whether the kernel locked itself down).
#
# DISK_VARIANT=signed (output .cache/lab-disk-signed): the UEFI chain is Debian's signed one,
# for Secure Boot: \EFI\BOOT\BOOTX64.EFI = shim (shim-signed, Microsoft-signed), next to it
# grubx64.efi (grub-efi-amd64-signed, Debian-signed); the kernel is Debian's signed one either way.
#
# DISK_VARIANT=arm64 (output .cache/lab-disk-arm64): the same OS for an arm64 UEFI machine:
# Debian's arm64 kernel and busybox-static, \EFI\BOOT\BOOTAA64.EFI made with grub-mkimage from
# grub-efi-arm64-bin's modules (all three fetched as arm64 .debs through build/agent's private
# arm64 apt state, debian-arch.mjs: the host's dpkg is not changed), console on the PL011 UART
# (ttyAMA0). Partition 1 stays (unused), so the ESP is partition 2 as in the other variants.
#
# DISK_VARIANT=arm64-signed (output .cache/lab-disk-arm64-signed): arm64 for Secure Boot, laid
# out as `signed` is: \EFI\BOOT\BOOTAA64.EFI = shimaa64 (shim-signed's arm64 .deb), beside it
# grubaa64.efi (grub-efi-arm64-signed's arm64 .deb), both fetched like the arm64 kernel.
#
# Environment: DISK_MIB (image size, default 64), LAB_DISK_DIR (output dir), FORCE=1 (rebuild),
#   DISK_VARIANT (plain, default, signed, arm64 or arm64-signed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
DISK_VARIANT=${DISK_VARIANT:-plain}
case "$DISK_VARIANT" in
  plain) out=${LAB_DISK_DIR:-$repo/.cache/lab-disk} ;;
  signed) out=${LAB_DISK_DIR:-$repo/.cache/lab-disk-signed} ;;
  arm64) out=${LAB_DISK_DIR:-$repo/.cache/lab-disk-arm64} ;;
  arm64-signed) out=${LAB_DISK_DIR:-$repo/.cache/lab-disk-arm64-signed} ;;
  *) echo "DISK_VARIANT must be plain, signed, arm64 or arm64-signed, not \"$DISK_VARIANT\"" >&2; exit 2 ;;
esac
# The variant's two axes: which CPU the disk boots on, and whether its UEFI chain is signed.
case "$DISK_VARIANT" in arm64*) CPU=arm64 ;; *) CPU=amd64 ;; esac
case "$DISK_VARIANT" in *signed) SIGNED=1 ;; *) SIGNED=0 ;; esac
SIGNED_SHIM=/usr/lib/shim/shimx64.efi.signed
SIGNED_GRUB=/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed
DISK_MIB=${DISK_MIB:-64}
ESP_LABEL=DFESP
MARKER=DRAGONFLY-LOCAL-BOOT-OK

log() { printf '[disk-image %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

# The inputs that decide the image's bytes; an unchanged stamp means nothing to rebuild.
stamp_of() {
  {
    cat "$0" "$KDEB" "$BDEB"; echo "$DISK_MIB $DISK_VARIANT"
    [ "$SIGNED" = 1 ] && cat "$SIGNED_SHIM" "$SIGNED_GRUB"
    [ "$DISK_VARIANT" = arm64 ] && cat "$GDEB"
    true
  } | sha256sum | cut -c1-16
}

need_tools() {
  local missing=()
  command -v grub-install >/dev/null || missing+=(grub2-common)
  [ -d /usr/lib/grub/i386-pc ] || missing+=(grub-pc-bin)
  [ -d /usr/lib/grub/x86_64-efi ] || missing+=(grub-efi-amd64-bin)
  command -v mkfs.vfat >/dev/null || missing+=(dosfstools)
  command -v sgdisk >/dev/null || missing+=(gdisk)
  command -v mcopy >/dev/null || missing+=(mtools)
  command -v cpio >/dev/null || missing+=(cpio)
  command -v zstd >/dev/null || missing+=(zstd)
  if [ "$DISK_VARIANT" = signed ]; then
    [ -f "$SIGNED_SHIM" ] || missing+=(shim-signed)
    [ -f "$SIGNED_GRUB" ] || missing+=(grub-efi-amd64-signed)
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing Debian packages (install as root): ${missing[*]}"
  log "installing ${missing[*]}"
  flock /tmp/apt.lock apt-get install -y --no-install-recommends "${missing[@]}" >&2
}

# find_deb PKG: a cached .deb of PKG (this cache, then build/agent's), else apt-get download.
find_deb() {
  local pkg=$1 f
  for f in "$out/debs/${pkg}"_*.deb "$repo/.cache/agent-image/debs/${pkg}"_*.deb; do
    [ -f "$f" ] && { echo "$f"; return 0; }
  done
  mkdir -p "$out/debs"
  log "apt-get download $pkg"
  (cd "$out/debs" && apt-get download "$pkg" >&2)
  ls "$out/debs/${pkg}"_*.deb | tail -n1
}

# The versioned kernel package that linux-image-amd64 points at (e.g. linux-image-6.1.0-56-amd64).
kernel_pkg() {
  local f
  for f in "$out/debs"/linux-image-[0-9]*-amd64_*.deb "$repo/.cache/agent-image/debs"/linux-image-[0-9]*-amd64_*.deb; do
    [ -f "$f" ] && { basename "$f" | cut -d_ -f1; return 0; }
  done
  apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

# build_initramfs DIR OUT: busybox-static + /init (the marker), as a gzip'd newc cpio.
build_initramfs() {
  local root=$1/initramfs
  mkdir -p "$root"/{bin,dev,proc,sys}
  dpkg --fsys-tarfile "$BDEB" | tar -x -O ./bin/busybox >"$root/bin/busybox"
  chmod 755 "$root/bin/busybox"
  # efivarfs is a module in Debian's kernel (signed by Debian: loads under lockdown too).
  dpkg --fsys-tarfile "$KDEB" | tar -x -O "./lib/modules/$KVER/kernel/fs/efivarfs/efivarfs.ko" >"$root/efivarfs.ko"
  cat >"$root/init" <<'EOF'
#!/bin/busybox sh
# The lab's installed OS: say where we booted from, show the seed file, power off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t sysfs sysfs /sys
host="" seed="" console=""
for w in $(cat /proc/cmdline); do
  case "$w" in
    dragonfly.host=*) host=${w#dragonfly.host=} ;;
    dragonfly.seed=*) seed=${w#dragonfly.seed=} ;;
    dragonfly.console=*) console=${w#dragonfly.console=} ;;
  esac
done
echo "DRAGONFLY-LOCAL-BOOT-OK ${host:-unnamed} firmware=$([ -d /sys/firmware/efi ] && echo uefi || echo bios)"
echo "DRAGONFLY-SEED ${seed:-none}"
# Secure Boot as the firmware says (the SecureBoot variable, EFI_GLOBAL_VARIABLE GUID: 4 bytes
# of attributes, then 1 = enforcing) and as the kernel took it (lockdown under Secure Boot).
sb=bios
if [ -d /sys/firmware/efi ]; then
  insmod /efivarfs.ko 2>/dev/null
  mount -t efivarfs efivarfs /sys/firmware/efi/efivars 2>/dev/null
  # The whole file, then its 5th byte: efivarfs files cannot seek (od -j fails on them).
  set -- $(od -An -tu1 /sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c 2>/dev/null)
  case "${5:-}" in
    1) sb=on ;; 0) sb=off ;; *) sb=unknown ;;
  esac
fi
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
lockdown=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/security/lockdown 2>/dev/null)
echo "DRAGONFLY-SECURE-BOOT $sb lockdown=${lockdown:-unknown}"
if [ "$console" = login ]; then
  # An installed OS an operator logs into on the serial console (the console tests).
  mkdir -p /etc /root /tmp
  echo 'root::0:0:root:/root:/bin/sh' >/etc/passwd
  echo 'root:x:0:' >/etc/group
  hostname "${host:-unnamed}"
  echo "DRAGONFLY-LOGIN getty on ttyS0"
  # PID 1 must not exit; getty ends with each logout and starts again.
  while true; do setsid getty -L 115200 ttyS0 vt100; sleep 1; done
fi
sync
poweroff -f
EOF
  chmod 755 "$root/init"
  (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible 2>/dev/null || find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -9n >"$2"
}

# arm64_deb PKG|kernel: the arm64 .deb of PKG (or the versioned kernel package's name), through
# build/agent's private arm64 apt state, so the agent image and this disk share one cache.
arm64_deb() {
  (cd "$repo" && node -e '
    const [what] = process.argv.slice(1);
    import("./build/agent/debian-arch.mjs").then(({ foreignApt }) => {
      const apt = foreignApt(".cache/agent-image", "arm64", (l) => console.error(l));
      console.log(what === "kernel" ? apt.kernelPackage("linux-image-arm64") : apt.deb(what));
    }).catch((e) => { console.error(e.message); process.exit(1); });' -- "$1")
}

write_grub_cfg() {
  # One grub.cfg for both firmwares. When writefile put a seed file on the ESP, GRUB reads it
  # ("key=value" lines are GRUB variable assignments) and passes hostname and seed on the
  # kernel command line, so the tiny initramfs needs no disk drivers to show them. (GRUB's
  # "initrd newc:" would hand over the file itself, but 2.06 omits the name's NUL and
  # Debian's 6.1 kernel rejects that archive.)
  cat >"$1" <<EOF
set timeout=0
set default=0
set hostname=
set seed=
set console=
if [ -f /dragonfly-seed.txt ]; then source /dragonfly-seed.txt; fi
menuentry "Dragonfly lab disk" {
  echo "dragonfly lab disk: loading the kernel"
  linux /vmlinuz $CONSOLE quiet panic=-1 dragonfly.host=\$hostname dragonfly.seed=\$seed dragonfly.console=\$console
  initrd /initrd.img
}
EOF
}

# le VALUE BYTES: VALUE as little-endian bytes on stdout.
le() { local i; for ((i = 0; i < $2; i++)); do printf "\\x$(printf %02x $((($1 >> (8 * i)) & 255)))"; done; }
# poke FILE OFFSET: stdin written over FILE at OFFSET.
poke() { dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

# bios_setup IMG CORE SECTOR: what grub-bios-setup does for a GPT disk with a BIOS boot
# partition, done on the image file (grub-bios-setup insists on guessing the host's root
# device, which fails in containers). boot.img's code goes into the protective MBR (its
# partition table is kept), told where core.img starts; core.img goes into the BIOS boot
# partition at SECTOR, and its first sector (diskboot) gets the one block-list entry naming
# the rest of core.img. Offsets from GRUB's i386-pc boot.h: kernel sector 0x5c, drive check
# 0x66; the block list is the last 12 bytes of diskboot (start u64, length u16, segment u16).
bios_setup() {
  local img=$1 core=$2 at=$3 n
  n=$((($(stat -c %s "$core") + 511) / 512))
  [ "$n" -le 2048 ] || die "core.img is $n sectors: larger than the 1 MiB BIOS boot partition"
  dd if=/usr/lib/grub/i386-pc/boot.img of="$img" bs=440 count=1 conv=notrunc status=none
  le "$at" 8 | poke "$img" $((0x5c))
  printf '\x90\x90' | poke "$img" $((0x66)) # a hard disk: no floppy probe
  [ "$(od -An -tx1 -j 510 -N 2 "$core" | tr -d ' ')" = 2008 ] || die "core.img's diskboot block list is not where expected"
  { le $((at + 1)) 8; le $((n - 1)) 2; } | poke "$core" 500
  dd if="$core" of="$img" bs=512 seek="$at" conv=notrunc status=none
}

# arm64_signed_chain: SIGNED_SHIM and SIGNED_GRUB from the arm64 .debs of shim-signed and
# grub-efi-arm64-signed, unpacked into the cache (the host, an amd64 one, has no arm64 packages).
arm64_signed_chain() {
  local sdeb gdeb dir=$out/signed-arm64
  sdeb=$(arm64_deb shim-signed) && gdeb=$(arm64_deb grub-efi-arm64-signed) || die "cannot fetch the arm64 signed shim and GRUB"
  mkdir -p "$dir"
  dpkg --fsys-tarfile "$sdeb" | tar -x -O ./usr/lib/shim/shimaa64.efi.signed >"$dir/shimaa64.efi"
  dpkg --fsys-tarfile "$gdeb" | tar -x -O ./usr/lib/grub/arm64-efi-signed/grubaa64.efi.signed >"$dir/grubaa64.efi"
  SIGNED_SHIM=$dir/shimaa64.efi SIGNED_GRUB=$dir/grubaa64.efi
}

# put_signed_chain ESP REMOVABLE GRUBNAME: shim as the removable-media loader, the signed GRUB
# beside it (shim loads it from its own directory) and grub.cfg where the signed GRUB looks:
# Debian builds it with the prefix /EFI/debian on the device it came from.
put_signed_chain() {
  mcopy -i "$1" "$SIGNED_SHIM" "::/EFI/BOOT/$2"
  mcopy -i "$1" "$SIGNED_GRUB" "::/EFI/BOOT/$3"
  mmd -i "$1" ::/EFI/debian
  mcopy -i "$1" "$WORK/grub.cfg" ::/EFI/debian/grub.cfg
}

WORK=""
cleanup() {
  set +e
  [ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need_tools
mkdir -p "$out"
CONSOLE=console=ttyS0,115200
if [ "$CPU" = arm64 ]; then
  CONSOLE=console=ttyAMA0,115200 # the virt machine's (and most arm64 servers') PL011 UART
  KPKG=$(arm64_deb kernel) || die "cannot resolve linux-image-arm64 for arm64"
  KDEB=$(arm64_deb "$KPKG") && BDEB=$(arm64_deb busybox-static) && GDEB=$(arm64_deb grub-efi-arm64-bin) || die "cannot fetch the arm64 packages"
  [ "$SIGNED" = 1 ] && arm64_signed_chain
else
  KPKG=$(kernel_pkg)
  [ -n "$KPKG" ] || die "cannot resolve linux-image-amd64 (apt-get update first)"
  KDEB=$(find_deb "$KPKG")
  BDEB=$(find_deb busybox-static)
fi
KVER=${KPKG#linux-image-}
STAMP=$(stamp_of)
if [ "${FORCE:-0}" != 1 ] && [ -f "$out/manifest.json" ] && grep -q "\"stamp\": \"$STAMP\"" "$out/manifest.json" && [ -f "$out/disk.raw.zst" ]; then
  log "up to date: $out/disk.raw ($(cat "$out/disk.raw.sha256"))"
  exit 0
fi
log "kernel $KPKG ($(basename "$KDEB")), busybox $(basename "$BDEB")"

WORK=$(mktemp -d /tmp/dfp-disk.XXXXXX)
dpkg --fsys-tarfile "$KDEB" | tar -x -C "$WORK" "./boot/vmlinuz-$KVER"
build_initramfs "$WORK" "$WORK/initrd.img"

img=$WORK/disk.raw
truncate -s "${DISK_MIB}M" "$img"
# 1: BIOS boot (EF02) for core.img; 2: ESP (EF00) to the end minus GPT's backup header.
sgdisk -Z -n 1:2048:+1M -t 1:EF02 -c 1:bios-boot -n 2:0:0 -t 2:EF00 -c 2:esp "$img" >/dev/null
esp_first=$(sgdisk -i 2 "$img" | awk '/^First sector/ { print $3 }')
esp_last=$(sgdisk -i 2 "$img" | awk '/^Last sector/ { print $3 }')
esp_off=$((esp_first * 512))
# The FAT is made and filled in place with dosfstools and mtools (no mount: the build host's
# kernel may have no vfat, as in CI containers).
mkfs.vfat -F 32 -n "$ESP_LABEL" -i DF1AB000 --offset "$esp_first" "$img" $(((esp_last - esp_first + 1) / 2)) 2>/dev/null >/dev/null
export MTOOLS_SKIP_CHECK=1
esp="$img@@$esp_off"
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/boot ::/boot/grub
mcopy -i "$esp" "$WORK/boot/vmlinuz-$KVER" ::/vmlinuz
mcopy -i "$esp" "$WORK/initrd.img" ::/initrd.img
write_grub_cfg "$WORK/grub.cfg"
mcopy -i "$esp" "$WORK/grub.cfg" ::/boot/grub/grub.cfg

# GRUB images made with grub-mkimage: every module the config needs is built in, and an
# embedded early config finds the ESP by label on either firmware.
printf 'search --no-floppy --label --set=root %s\nset prefix=($root)/boot/grub\n' "$ESP_LABEL" >"$WORK/early.cfg"
mods="part_gpt fat search search_label normal configfile linux echo test sleep"
mkdir -p "$WORK/pc"
if [ "$DISK_VARIANT" = signed ]; then
  put_signed_chain "$esp" BOOTX64.EFI grubx64.efi
elif [ "$DISK_VARIANT" = arm64-signed ]; then
  put_signed_chain "$esp" BOOTAA64.EFI grubaa64.efi
elif [ "$DISK_VARIANT" = arm64 ]; then
  # The host's grub-mkimage builds for any target given that target's module directory.
  dpkg --fsys-tarfile "$GDEB" | tar -x -C "$WORK" ./usr/lib/grub/arm64-efi
  grub-mkimage -O arm64-efi -d "$WORK/usr/lib/grub/arm64-efi" -p /boot/grub -c "$WORK/early.cfg" -o "$WORK/BOOTAA64.EFI" $mods
  mcopy -i "$esp" "$WORK/BOOTAA64.EFI" ::/EFI/BOOT/BOOTAA64.EFI
else
  grub-mkimage -O x86_64-efi -p /boot/grub -c "$WORK/early.cfg" -o "$WORK/BOOTX64.EFI" $mods all_video
  mcopy -i "$esp" "$WORK/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
fi
if [ "$CPU" != arm64 ]; then # no BIOS on arm64
  grub-mkimage -O i386-pc -p /boot/grub -c "$WORK/early.cfg" -o "$WORK/pc/core.img" biosdisk $mods
  bios_setup "$img" "$WORK/pc/core.img" 2048
fi
sgdisk -v "$img" | grep -q 'No problems found' || die "GPT is damaged after the BIOS boot code was written: $(sgdisk -v "$img")"

log "compressing"
zstd -q -19 -T0 -f "$img" -o "$WORK/disk.raw.zst"
raw_sha=$(sha256sum "$img" | cut -d' ' -f1)
zst_sha=$(sha256sum "$WORK/disk.raw.zst" | cut -d' ' -f1)
mv -f "$img" "$out/disk.raw"
mv -f "$WORK/disk.raw.zst" "$out/disk.raw.zst"
echo "$raw_sha" >"$out/disk.raw.sha256"
echo "$zst_sha" >"$out/disk.raw.zst.sha256"
cat >"$out/manifest.json" <<EOF
{
  "stamp": "$STAMP",
  "variant": "$DISK_VARIANT",
  "kernel": "$KVER",
  "marker": "$MARKER",
  "espLabel": "$ESP_LABEL",
  "espPartition": 2,
  "seedPath": "/dragonfly-seed.txt",
  "rawBytes": $(stat -c %s "$out/disk.raw"),
  "rawSha256": "$raw_sha",
  "zstBytes": $(stat -c %s "$out/disk.raw.zst"),
  "zstSha256": "$zst_sha"
}
EOF
log "built $out/disk.raw ($(stat -c %s "$out/disk.raw") bytes, sha256 $raw_sha), disk.raw.zst $(stat -c %s "$out/disk.raw.zst") bytes"
