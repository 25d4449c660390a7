# OVMF without Secure Boot, its own PXE client (no option ROM on the NIC), full DHCP mode, default
# settings (--secure-boot auto, docs/SECURE-BOOT.md "Which machines get which chain"). First
# power-on, a machine the control plane does not know: shim -> GRUB -> agent over TFTP, which
# registers secureBoot false. Next power-on of the same VM: DHCP -> TFTP snponly.efi -> iPXE DHCP
# -> HTTP script -> agent (firmware reported as uefi). Uses check_signed_chain (35-secure-boot.sh).
SCENARIOS+=(uefi_pxe)

UEFI_MAC=52:54:00:98:00:21

scenario_uefi_pxe() {
  need_cp full
  boot_vm uefi-pxe uefi dfltap1 "$UEFI_MAC" -m 1536 -smp 2
  check "uefi-pxe-full: unknown machine: shim -> GRUB -> agent config" check_signed_chain uefi-pxe
  if passed && has_agent_image; then
    check "uefi-pxe-full: registered through shim, secureBoot false" check_registered_sb_off uefi-pxe
  else
    agent_unavailable "uefi-pxe-full: registered through shim, secureBoot false"
  fi
  vm_stop uefi-pxe
  # The second power-on proves the per-machine decision: known without Secure Boot -> iPXE.
  boot_vm uefi-pxe uefi dfltap1 "$UEFI_MAC" -m 1536 -smp 2
  check "uefi-pxe-full: known secureBoot false: dhcp->tftp->script (iPXE)" check_script_boot uefi-pxe uefi dhcp,tftp,script full
  if passed && has_agent_image; then
    check "uefi-pxe-full: registered through iPXE" check_registered uefi-pxe uefi 2 1536
  else
    agent_unavailable "uefi-pxe-full: registered through iPXE"
  fi
  vm_stop uefi-pxe
}

check_registered_sb_off() {
  local out
  out=$(api wait-registered --mac "$(cat "$(vm_dir "$1")/mac")" --since "$(vm_started_iso "$1")" \
    --firmware uefi --cpus 2 --memory-mib 1536 --secure-boot false --timeout "${LAB_AGENT_TIMEOUT:-300}") || { note "$out"; return 1; }
  note "registered at $(vm_age "$1")s after power-on: $out"
}
