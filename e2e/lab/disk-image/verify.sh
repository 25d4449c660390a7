#!/usr/bin/env bash
# Boots the lab disk image (build.sh) by itself in QEMU under TCG, once with SeaBIOS and once
# with OVMF, and checks the marker on the serial console. No network (-nic none). Also the
# "floor" of the lifecycle benchmark: seconds from QEMU start to the marker, and to QEMU's exit.
#
#   bash e2e/lab/disk-image/verify.sh [bios] [uefi]       (default: both)
#   LAB_DISK_DIR=.cache/lab-disk-arm64 bash e2e/lab/disk-image/verify.sh arm64
#                                   (the DISK_VARIANT=arm64 image on qemu-system-aarch64 + AAVMF)
#
# A copy of the image gets a seed file on its ESP (what the template's writefile action does),
# so the check also proves GRUB hands it to the initramfs. The cached image is not touched.
# Prints one line per firmware:  PASS bios marker 7.9s exit 8.4s  (exit 1 when any fails)
# Environment: LAB_DISK_DIR, VERIFY_TIMEOUT (seconds per boot, default 180).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
dir=${LAB_DISK_DIR:-$repo/.cache/lab-disk}
timeout=${VERIFY_TIMEOUT:-180}
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
log() { printf '[disk-verify %s] %s\n' "$(date +%T)" "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

[ -f "$dir/disk.raw" ] || { log "no $dir/disk.raw: run e2e/lab/disk-image/build.sh first"; exit 1; }
WORK=$(mktemp -d /tmp/dfp-verify.XXXXXX)
QPID=""
cleanup() {
  set +e
  [ -n "$QPID" ] && kill -KILL "$QPID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# seeded_copy FW: the image plus /dragonfly-seed.txt on its ESP (partition 2, found from the GPT).
seeded_copy() {
  local img=$WORK/$1.raw first
  cp --sparse=always "$dir/disk.raw" "$img"
  first=$(sgdisk -i 2 "$img" | awk '/^First sector/ { print $3 }')
  printf 'hostname=verify-%s\nseed=written-by-verify.sh\n' "$1" >"$WORK/seed.txt"
  MTOOLS_SKIP_CHECK=1 mcopy -o -i "$img@@$((first * 512))" "$WORK/seed.txt" ::/dragonfly-seed.txt
  echo "$img"
}

# boot FW: one boot; prints "PASS|FAIL FW marker Ns exit Ns".
boot() {
  local fw=$1 img serial fwargs=() t0 i marker="" out want=$1 qemu=(qemu-system-x86_64 -accel tcg -m 512 -smp 1)
  img=$(seeded_copy "$fw")
  serial=$WORK/$fw.serial
  : >"$serial"
  if [ "$fw" = uefi ]; then
    cp "$OVMF_VARS" "$WORK/vars.fd"
    fwargs=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" -drive "if=pflash,format=raw,unit=1,file=$WORK/vars.fd")
  elif [ "$fw" = arm64 ]; then # the virt machine as the lab's arm64 scenarios run it; UEFI only
    want=uefi
    qemu=(qemu-system-aarch64 -M virt -cpu cortex-a57 -accel tcg -m 1024 -smp 2)
    cp /usr/share/AAVMF/AAVMF_VARS.fd "$WORK/vars.fd"
    fwargs=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/AAVMF/AAVMF_CODE.fd" -drive "if=pflash,format=raw,unit=1,file=$WORK/vars.fd")
  fi
  t0=$(now)
  "${qemu[@]}" -nographic -no-reboot -monitor none -nic none \
    -serial "file:$serial" "${fwargs[@]}" -drive "file=$img,format=raw,if=virtio" </dev/null >"$WORK/$fw.qemu.out" 2>&1 &
  QPID=$!
  for ((i = 0; i < timeout * 10; i++)); do
    if [ -z "$marker" ] && grep -aq 'DRAGONFLY-LOCAL-BOOT-OK ' "$serial"; then marker=$(since "$t0"); fi
    kill -0 "$QPID" 2>/dev/null || break
    sleep 0.1
  done
  local exit_s; exit_s=$(since "$t0")
  if kill -0 "$QPID" 2>/dev/null; then kill -KILL "$QPID"; exit_s=timeout; fi
  wait "$QPID" 2>/dev/null || true
  QPID=""
  out=$(tr -d '\r' <"$serial")
  if [ -n "$marker" ] && grep -q "DRAGONFLY-LOCAL-BOOT-OK verify-$fw firmware=$want" <<<"$out" &&
    grep -q 'DRAGONFLY-SEED written-by-verify.sh' <<<"$out"; then
    echo "PASS $fw marker ${marker}s exit ${exit_s}s"
  else
    log "$fw serial log (last 15 lines):"
    grep -a . <<<"$out" | tail -n 15 >&2
    echo "FAIL $fw marker ${marker:-none} exit ${exit_s}"
    return 1
  fi
}

rc=0
for fw in ${*:-bios uefi}; do boot "$fw" || rc=1; done
exit $rc
