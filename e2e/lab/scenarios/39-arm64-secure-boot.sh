# Secure Boot on ARM64 (issue 16 point 4, docs/SECURE-BOOT.md); alone: `npm run e2e:lab:arm64-secure-boot`.
# The arm64 VM of 34-arm64-pxe.sh (qemu-system-aarch64, virt, TCG) on AAVMF_CODE.ms.fd with a
# copy of AAVMF_VARS.ms.fd (Microsoft's keys enrolled: Secure Boot enforced). Control first: with
# --secure-boot off the firmware is given the unsigned ipxe-arm64.efi and must refuse it, so the
# signed-chain check below can fail. Then --secure-boot auto, a MAC the control plane has never
# seen: DHCP arch 11 -> TFTP shimaa64.efi (Microsoft-signed) -> grubaa64.efi (Debian-signed
# grubnetaa64) -> grub/grub.cfg -> grub/arm64/grub.cfg-MAC -> TFTP agent/arm64/vmlinuz (the
# Debian-signed arm64 kernel) + initramfs -> the agent registers with arch aarch64 and
# secureBoot true. Then UEFI HTTP boot only (PXE off, arch 19): the arm64 RAM disk
# (.../boot.img?arch=arm64: BOOTAA64.EFI = shimaa64, grubaa64, the configuration, the arm64 agent),
# registered the same, and not one TFTP packet on the wire. Needs the arm64 agent image
# (dist/agent-image-arm64). Uses 34-arm64-pxe.sh (arm64_vm_start, has_arm64_agent_image),
# 35-secure-boot.sh (cp_secure_boot) and 32-uefi-http.sh (HTTP_ONLY_FW, http_capture_start, check_no_tftp).
SCENARIOS+=(arm64_secure_boot)

A64SB_MAC=52:54:00:98:00:e1
A64SB_CTRL_MAC=52:54:00:98:00:e2
A64SB_HTTP_MAC=52:54:00:98:00:e3

# a64sb_vm NAME MAC [TAP [QEMU ARGS]]: arm64_vm_start on the Secure Boot firmware (its own copy of the variables).
a64sb_vm() {
  local name=$1 mac=$2 tap=${3:-dfltap1}
  shift 2; [ $# -gt 0 ] && shift
  AAVMF_CODE=/usr/share/AAVMF/AAVMF_CODE.ms.fd AAVMF_VARS=/usr/share/AAVMF/AAVMF_VARS.ms.fd arm64_vm_start "$name" "$tap" "$mac" "$@"
}

# ck_a64sb_registered NAME: the arm64 agent, started through the signed chain, registered with
# arch aarch64, the VM's 2 CPUs, UEFI and secureBoot true (from the SecureBoot EFI variable).
ck_a64sb_registered() {
  local name=$1 out
  out=$(api wait-registered --mac "$(cat "$(vm_dir "$name")/mac")" --since "$(vm_started_iso "$name")" --firmware uefi --arch aarch64 \
    --cpus 2 --secure-boot true --timeout "${LAB_ARM64_AGENT_TIMEOUT:-900}") || {
    note "$out; serial: $(tr -d '\r' <"$(vm_serial "$name")" | grep -a . | tail -n1 | cut -c1-100)"
    return 1
  }
  note "registered at $(vm_age "$name")s after power-on: $out"
}

scenario_arm64_secure_boot() {
  local p=arm64-secure-boot
  cp_secure_boot off
  a64sb_vm a64sb-control "$A64SB_CTRL_MAC"
  check "$p: firmware refuses unsigned ipxe-arm64.efi (control)" check_refuses_unsigned a64sb-control ipxe-arm64.efi 300 180
  vm_stop a64sb-control

  cp_secure_boot auto
  a64sb_vm a64sb "$A64SB_MAC"
  check "$p: shimaa64 -> grubaa64 -> arm64 agent config" check_signed_chain a64sb shimaa64.efi 300 300
  if ! has_arm64_agent_image; then
    local why="no arm64 agent image in dist/agent-image-arm64 (npm run build:agent-image -- --arch arm64)"
    if [ "${LAB_REQUIRE_AGENT:-0}" = 1 ]; then record "$p: registered aarch64, secureBoot true" FAIL 0 "$why"; else skip "$p: registered aarch64, secureBoot true" "$why"; fi
  elif passed; then
    check "$p: registered aarch64, secureBoot true" ck_a64sb_registered a64sb
  fi
  vm_stop a64sb

  http_capture_start a64sb-http "$A64SB_HTTP_MAC"
  a64sb_vm a64sb-http "$A64SB_HTTP_MAC" dfltap2 "${HTTP_ONLY_FW[@]}"
  check "$p: HTTP boot only: arm64 RAM disk -> shimaa64 -> grubaa64" check_sb_http_chain a64sb-http arm64 300
  if passed && has_arm64_agent_image; then
    check "$p: HTTP boot only: registered aarch64, secureBoot true" ck_a64sb_registered a64sb-http
  fi
  vm_stop a64sb-http
  check "$p: HTTP boot only: no tftp on the wire" check_no_tftp a64sb-http
  unset DRAGONFLY_SECURE_BOOT
  CP_MODE="" # the next scenario gets a control plane without the setting
}
