# Provisioning a signed OS under Secure Boot (issue 16, docs/SECURE-BOOT.md). The Secure Boot
# VM (35-secure-boot.sh's firmware, NIC first by QEMU bootindex, an empty disk) PXE-boots the
# agent through shim -> GRUB, registers with secureBoot true, and is given the lab disk image's
# signed variant (e2e/lab/disk-image/build.sh DISK_VARIANT=signed: Debian's signed shim, GRUB
# and kernel on its ESP). After the agent's reboot, with the same NVRAM (Secure Boot still
# enforced) and the network still first, the network GRUB's local configuration chainloads the
# disk's shim, which starts the disk's signed GRUB and kernel: the installed OS prints its
# marker, the seed, and "DRAGONFLY-SECURE-BOOT on lockdown=integrity" (the SecureBoot variable
# as it reads it, and the kernel's lockdown, which Debian's kernel enables under Secure Boot).
# Uses provision.sh (papi, ck_*, PROV_*) and 35-secure-boot.sh (sb_vm, cp_secure_boot).
SCENARIOS+=(secure_boot_provision)

SBP_MAC=52:54:00:98:00:34
SBP_TEMPLATE=dfp-signed-disk
SBP_DISK_DIR=${LAB_SIGNED_DISK_DIR:-$LAB_REPO/.cache/lab-disk-signed}

# The signed image, served by the control plane itself (never from the internet), and its template.
sbp_prepare() {
  DISK_VARIANT=signed LAB_DISK_DIR="$SBP_DISK_DIR" bash "$LAB_REPO/e2e/lab/disk-image/build.sh" >&2 || { note "building the signed disk image failed"; return 1; }
  LAB_DISK_DIR="$PROV_DISK_DIR" bash "$LAB_REPO/e2e/lab/disk-image/build.sh" >&2 || { note "building the plain disk image (the control) failed"; return 1; }
  local out
  out=$(prov_serve_disk "$SBP_DISK_DIR" disk-signed.raw.zst "$SBP_TEMPLATE") || { note "$out"; return 1; }
  note "template $SBP_TEMPLATE: $(node -e 'const m=require(process.argv[1]); console.log(m.variant, m.kernel, m.rawBytes, "bytes")' "$SBP_DISK_DIR/manifest.json")"
}

# sbp_boot NAME MAC: a power-on of the Secure Boot VM with its disk. The NVRAM (vars.fd) is kept
# across power-ons, so the enrolled keys and Secure Boot stay as they were.
sbp_boot() {
  local d; d=$(vm_dir "$1")
  mkdir -p "$d"
  [ -f "$d/disk.img" ] || truncate -s "$PROV_DISK_BYTES" "$d/disk.img"
  [ -s "$d/serial.log" ] && cp "$d/serial.log" "$d/serial.$(date +%H%M%S).log"
  sb_vm "$1" "$2" -m 1536 -smp 2 -drive "if=none,id=pd,format=raw,file=$d/disk.img" -device "virtio-blk-pci,drive=pd,serial=dfp-disk"
}

# ck_sb_local_boot NAME MAC [SHIM LOADER]: this power-on went network -> shim -> GRUB -> "local"
# -> the disk's shim -> the installed OS, which saw Secure Boot enforced. SHIM and LOADER (the
# network shim's name and the disk's loader, default x64's) let arm64 use the same check.
ck_sb_local_boot() {
  local d f hw since at out line shim=${3:-shimx64.efi} loader=${4:-/EFI/BOOT/BOOTX64.EFI}; d=$(vm_dir "$1"); f=$(vm_serial "$1"); hw=$(cat "$d/hw")
  since=$(vm_started_iso "$1")
  vm_wait_serial "$1" "NBP filename is ${shim//./\\.}" 150 || return 1
  vm_wait_serial "$1" "Dragonfly: starting ${loader//./\\.} from the local disk" 180 || return 1
  vm_wait_serial "$1" "DRAGONFLY-LOCAL-BOOT-OK $hw firmware=uefi" "$PROV_TIMEOUT" || return 1
  at=$(vm_age "$1")
  vm_wait_serial "$1" "DRAGONFLY-SEED $PROV_SEED" 30 || return 1
  vm_wait_serial "$1" 'DRAGONFLY-SECURE-BOOT ' 30 || return 1
  line=$(grep -a 'DRAGONFLY-SECURE-BOOT ' "$f" | tr -d '\r' | head -n1)
  [ "$line" = "DRAGONFLY-SECURE-BOOT on lockdown=integrity" ] || { note "the installed OS says \"$line\" (want Secure Boot on, kernel locked down)"; return 1; }
  if grep -aqE 'Access Denied|Security Violation' "$f"; then note "the firmware refused an image on the way"; return 1; fi
  out=$(papi local-boots --mac "$2" --since "$since") || { note "$out"; return 1; }
  [[ $out == *local* ]] && [[ $out != *discovery* ]] && [[ $out != *imaging* ]] || { note "configurations served since power-on: ${out:-none}"; return 1; }
  note "marker at ${at}s after power-on; $line; served: $out"
}

# sbp_direct DISKDIR signed|plain: a copy of that lab disk booted by itself (no network) on the
# Secure Boot firmware with fresh NVRAM. signed: the installed OS starts and sees Secure Boot on
# (the floor for the network path's time); plain (unsigned GRUB): the firmware refuses it, so
# the signed checks can fail.
sbp_direct() {
  local f; f=$LAB_DIR/sbp-direct-$2
  mkdir -p "$f"; cp --sparse=always "$1/disk.raw" "$f/disk.img"; cp /usr/share/OVMF/OVMF_VARS_4M.ms.fd "$f/vars.fd"; : >"$f/serial.log"
  local t0 i at="" want='DRAGONFLY-SECURE-BOOT ' ; t0=$(now)
  [ "$2" = plain ] && want='Access Denied|Security Violation'
  qemu-system-x86_64 -accel tcg -machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on -m 1024 -smp 2 \
    -nographic -no-reboot -monitor none -nic none -serial "file:$f/serial.log" -pidfile "$f/qemu.pid" \
    -drive "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd" -drive "if=pflash,format=raw,unit=1,file=$f/vars.fd" \
    -drive "if=none,id=pd,format=raw,file=$f/disk.img" -device virtio-blk-pci,drive=pd </dev/null >"$f/qemu.out" 2>&1 &
  for ((i = 0; i < 1800; i++)); do
    grep -aqE "$want" "$f/serial.log" && { at=$(elapsed "$t0" "$(now)"); break; }
    sleep 0.1
  done
  sleep 1 # the rest of the line
  stop_pidfile "$f/qemu.pid" 5
  rm -f "$f/disk.img"
  [ -n "$at" ] || { note "no \"$want\" within 180 s: $(tr -d '\r' <"$f/serial.log" | grep -a . | tail -n1 | cut -c1-100)"; return 1; }
  if [ "$2" = plain ]; then
    grep -aq 'DRAGONFLY-LOCAL-BOOT-OK' "$f/serial.log" && { note "the unsigned disk booted under Secure Boot"; return 1; }
    note "refused at ${at}s: $(tr -d '\r' <"$f/serial.log" | grep -aoE 'failed to load .*(Access Denied|Security Violation)' | head -n1 | cut -c1-100)"
  else
    local line; line=$(grep -a 'DRAGONFLY-SECURE-BOOT ' "$f/serial.log" | tr -d '\r' | head -n1)
    [ "$line" = "DRAGONFLY-SECURE-BOOT on lockdown=integrity" ] || { note "the installed OS says \"$line\""; return 1; }
    note "disk alone: $line at ${at}s after power-on"
  fi
}

scenario_secure_boot_provision() {
  local p=secure-boot-provision name=dfp-sb mac=$SBP_MAC
  has_agent_image || { skip "$p: Ready on the signed OS" "no complete agent image in dist/agent-image"; return 0; }
  cp_secure_boot auto
  check "$p: signed image served, template applied" sbp_prepare
  if passed; then
    check "$p: control: unsigned lab disk refused by the firmware" sbp_direct "$PROV_DISK_DIR" plain
    check "$p: signed lab disk boots by itself, Secure Boot on" sbp_direct "$SBP_DISK_DIR" signed
  fi
  if passed; then
    sbp_boot "$name" "$mac"
    check "$p: registered" ck_registered "$name" "$mac"
    passed && check "$p: agent reports secureBoot true" sb_fact_check "$name" true
    passed && check "$p: assigned" ck_assign "$name" "$mac" "$SBP_TEMPLATE"
    passed && check "$p: image written" ck_installed "$name"
    if passed; then
      sbp_boot "$name" "$mac"
      check "$p: reboot, Secure Boot on: disk's shim -> signed OS" ck_sb_local_boot "$name" "$mac"
      passed && check "$p: Ready" ck_ready "$mac"
    fi
    vm_stop "$name"
  fi
  unset DRAGONFLY_SECURE_BOOT
  CP_MODE="" # the next scenario gets a control plane without the setting
}
