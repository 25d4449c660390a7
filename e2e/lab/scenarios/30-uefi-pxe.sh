# OVMF's own PXE client (no option ROM on the NIC), full DHCP mode: DHCP -> TFTP snponly.efi ->
# iPXE DHCP -> HTTP script -> agent (firmware reported as uefi).
SCENARIOS+=(uefi_pxe)

UEFI_MAC=52:54:00:98:00:21

scenario_uefi_pxe() {
  need_cp full
  boot_vm uefi-pxe uefi dfltap1 "$UEFI_MAC" -m 1536 -smp 2
  check "uefi-pxe-full: dhcp->tftp->script" check_script_boot uefi-pxe uefi dhcp,tftp,script full
  if passed && has_agent_image; then
    check "uefi-pxe-full: registered" check_registered uefi-pxe uefi 2 1536
  else
    agent_unavailable "uefi-pxe-full: registered"
  fi
  vm_stop uefi-pxe
}
