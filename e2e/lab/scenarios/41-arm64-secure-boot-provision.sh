# ARM64 provisioning under Secure Boot (issue 16 point 4, docs/SECURE-BOOT.md); alone:
# `npm run e2e:lab:arm64-secure-boot-provision`. The arm64 Secure Boot VM of
# 39-arm64-secure-boot.sh (AAVMF_CODE.ms.fd, its own copy of AAVMF_VARS.ms.fd kept across
# power-ons, NIC first) with an empty disk boots shimaa64 -> grubaa64 -> the signed arm64 agent,
# registers with secureBoot true, and is given the lab disk's arm64-signed variant
# (disk-image/build.sh: shimaa64 as \EFI\BOOT\BOOTAA64.EFI, Debian-signed grubaa64.efi beside it,
# Debian's signed arm64 kernel). Its disk file then equals the image outside the seed file's ESP
# sectors. Power on again, Secure Boot still enforced, NIC still first: the network GRUB's local
# configuration chainloads the disk's BOOTAA64.EFI (shim), which starts the disk's signed GRUB
# and kernel: the installed OS prints its marker, the seed and "DRAGONFLY-SECURE-BOOT on" -> Ready.
# Uses 38-arm64-provision.sh (ck_a64p_progress, ck_a64p_disk), 39-arm64-secure-boot.sh (a64sb_vm),
# 36-secure-boot-provision.sh (ck_sb_local_boot) and provision.sh (prov_serve_disk, ck_*, PROV_*).
SCENARIOS+=(arm64_secure_boot_provision)

A64SBP_MAC=52:54:00:98:00:f1
A64SBP_TEMPLATE=dfp-lab-disk-arm64-signed
A64SBP_DISK_DIR=${LAB_ARM64_SIGNED_DISK_DIR:-$LAB_REPO/.cache/lab-disk-arm64-signed}

# The signed arm64 lab disk, served by the control plane itself at /images/, and its template.
a64sbp_prepare() {
  DISK_VARIANT=arm64-signed LAB_DISK_DIR="$A64SBP_DISK_DIR" bash "$LAB_REPO/e2e/lab/disk-image/build.sh" >&2 || { note "building the signed arm64 lab disk failed"; return 1; }
  local out
  out=$(prov_serve_disk "$A64SBP_DISK_DIR" disk-arm64-signed.raw.zst "$A64SBP_TEMPLATE") || { note "$out"; return 1; }
  note "$out: $(node -e 'const m=require(process.argv[1]); console.log(m.variant, m.kernel, m.rawBytes, "bytes,", m.zstBytes, "compressed")' "$A64SBP_DISK_DIR/manifest.json")"
}

# a64sbp_boot NAME: a power-on of the arm64 Secure Boot VM with its disk (disk and NVRAM kept).
# With VM_BOOTINDEX=0 QEMU gives no boot order: AAVMF then boots by the NVRAM BootOrder the
# agent's efibootorder wrote (the network first, the disk next), as a real machine does. With a
# QEMU boot order AAVMF would connect only the listed NIC, and GRUB would see no disk at all.
a64sbp_boot() {
  local d; d=$(vm_dir "$1")
  mkdir -p "$d"
  [ -f "$d/disk.img" ] || truncate -s "$PROV_DISK_BYTES" "$d/disk.img"
  [ -s "$d/serial.log" ] && cp "$d/serial.log" "$d/serial.$(date +%H%M%S).log" # arm64_vm_start empties it
  a64sb_vm "$1" "$A64SBP_MAC" dfltap1 -drive "if=none,id=pd,format=raw,file=$d/disk.img" -device "virtio-blk-pci,drive=pd,serial=dfp-disk"
}

scenario_arm64_secure_boot_provision() {
  local p=arm64-secure-boot-provision name=dfp-arm64-sb d
  if ! has_arm64_agent_image; then
    local why="no arm64 agent image in dist/agent-image-arm64 (npm run build:agent-image -- --arch arm64)"
    if [ "${LAB_REQUIRE_AGENT:-0}" = 1 ]; then record "$p: Ready on the signed arm64 OS" FAIL 0 "$why"; else skip "$p: Ready on the signed arm64 OS" "$why"; fi
    return 0
  fi
  cp_secure_boot auto
  check "$p: signed arm64 disk served, template applied" a64sbp_prepare
  if passed; then
    d=$(vm_dir "$name")
    a64sbp_boot "$name"
    check "$p: registered" ck_registered "$name" "$A64SBP_MAC"
    passed && check "$p: agent reports aarch64, secureBoot true" ck_a64sb_registered "$name"
    passed && papi revision >"$d/revision" && check "$p: assigned" ck_assign "$name" "$A64SBP_MAC" "$A64SBP_TEMPLATE"
    passed && check "$p: Succeeded with progress" ck_a64p_progress "$name"
    passed && A64P_DISK_DIR=$A64SBP_DISK_DIR check "$p: disk equals the image" ck_a64p_disk "$name"
    if passed; then
      VM_BOOTINDEX=0 a64sbp_boot "$name"
      check "$p: reboot, Secure Boot on: disk's shimaa64 -> signed OS" ck_sb_local_boot "$name" "$A64SBP_MAC" shimaa64.efi /EFI/BOOT/BOOTAA64.EFI
      passed && check "$p: Ready" ck_ready "$A64SBP_MAC"
    fi
    vm_stop "$name"
  fi
  unset DRAGONFLY_SECURE_BOOT
  CP_MODE="" # the next scenario gets a control plane without the setting
}
