# QEMU VMs on the lab bridge (LAB.md "VMs"): TCG, serial console to a file, -no-reboot so a
# guest `poweroff -f` (or a triple fault) ends QEMU. Each VM has a directory $LAB_DIR/vm-NAME.

OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd

vm_dir() { echo "$LAB_DIR/vm-$1"; }
vm_serial() { echo "$LAB_DIR/vm-$1/serial.log"; }

# vm_start NAME bios|uefi TAP MAC [QEMU ARGS...]
#   bios: SeaBIOS + QEMU's iPXE option ROM on virtio-net (the ROM does DHCP as iPXE).
#   uefi: OVMF with the NIC's option ROM removed (romfile=), so OVMF's own PXE client asks
#         for the NBP over TFTP.
# Extra args go to QEMU (disks, -smp, -m). Defaults: -m 512 -smp 1.
vm_start() {
  local name=$1 fw=$2 tap=$3 mac=$4; shift 4
  local d; d=$(vm_dir "$name")
  mkdir -p "$d"
  : >"$d/serial.log"
  # The pidfile names THIS power-on's QEMU from the moment it is spawned: QEMU writes its
  # -pidfile only once it has started, and until then a waiter would read the previous
  # power-on's pid (dead: "VM not running") or none at all.
  rm -f "$d/qemu.pid"
  # VM_BOOTINDEX=0: no QEMU boot order at all (no bootindex, no -boot). OVMF otherwise rewrites
  # BootOrder from QEMU's list at every power-on, which no real firmware does: provisioning
  # scenarios on UEFI use 0 so the NVRAM BootOrder the agent wrote is the one that counts.
  local fwargs=() nic="virtio-net-pci,netdev=n0,mac=$mac" order=(-boot n)
  if [ "${VM_BOOTINDEX:-1}" = 1 ]; then nic+=",bootindex=1"; else order=(); fi
  # VM_NIC_ADDR=0x5: the boot NIC's PCI slot, so a scenario can put another NIC before it.
  if [ -n "${VM_NIC_ADDR:-}" ]; then nic+=",addr=$VM_NIC_ADDR"; fi
  if [ "$fw" = uefi ]; then
    [ -f "$d/vars.fd" ] || cp "$OVMF_VARS" "$d/vars.fd"
    fwargs=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" -drive "if=pflash,format=raw,unit=1,file=$d/vars.fd")
    nic+=",romfile="
  fi
  # -m/-smp given by the caller (in "$@", after these) win: QEMU takes the last occurrence.
  ip netns exec "$NS_SRV" qemu-system-x86_64 -accel tcg -m 512 -smp 1 \
    -nographic -no-reboot -monitor none -serial "file:$d/serial.log" -pidfile "$d/qemu.pid" \
    "${fwargs[@]}" \
    -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" -device "$nic" "${order[@]}" \
    "$@" </dev/null >"$d/qemu.out" 2>&1 &
  echo $! >"$d/qemu.pid" # `ip netns exec` execs QEMU: the same pid QEMU writes there itself
  now >"$d/started"
  date -u +%Y-%m-%dT%H:%M:%S.%3NZ >"$d/started.iso"
  log "VM $name ($fw, $mac on $tap) started"
}

vm_started_iso() { cat "$(vm_dir "$1")/started.iso"; }
# Seconds since the VM was started.
vm_age() { elapsed "$(cat "$(vm_dir "$1")/started")" "$(now)"; }

# vm_wait_serial NAME REGEX TIMEOUT: waits until the serial log matches (grep -E on text).
vm_wait_serial() {
  local name=$1 re=$2 timeout=$3 f i pid
  f=$(vm_serial "$name")
  for ((i = 0; i < timeout * 2; i++)); do
    grep -aqE "$re" "$f" 2>/dev/null && return 0
    pid=$(cat "$(vm_dir "$name")/qemu.pid" 2>/dev/null || true)
    if [ -z "$pid" ] && [ $i -gt 10 ] || { [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; }; then
      note "VM $name is not running (qemu: $(tail -n2 "$(vm_dir "$name")/qemu.out" | tr '\n' ' '))"
      return 1
    fi
    sleep 0.5
  done
  note "serial log of $name never showed /$re/ within ${timeout}s; last line: $(tr -d '\r' <"$f" | grep -a . | tail -n1 | cut -c1-120)"
  return 1
}

vm_stop() { stop_pidfile "$(vm_dir "$1")/qemu.pid" 5; }

# vm_disk_args NAME ID SIZE: a sparse raw disk; prints the QEMU args for a virtio disk with a serial.
vm_disk_args() {
  local name=$1 id=$2 size=$3 f
  f="$(vm_dir "$name")/$id.img"
  mkdir -p "$(vm_dir "$name")"
  [ -f "$f" ] || truncate -s "$size" "$f"
  printf '%s\n' -drive "if=none,id=$id,format=raw,file=$f" -device "virtio-blk-pci,drive=$id,serial=dfl-$id"
}
