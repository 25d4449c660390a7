# proxyDHCP beside the site's DHCP server (dnsmasq in its own namespace on dflbr0 hands out
# the addresses): a BIOS VM (iPXE ROM) and a UEFI VM (OVMF PXE) both get their address from
# dnsmasq and their boot instructions from Dragonfly, and reach Dragonfly's iPXE script. The
# UEFI VM is unknown, yet gets iPXE, not shim: behind proxyDHCP --secure-boot auto keeps iPXE
# (docs/SECURE-BOOT.md), which this asserts.
SCENARIOS+=(proxy)

PROXY_BIOS_MAC=52:54:00:98:00:31
PROXY_UEFI_MAC=52:54:00:98:00:32

# The address on the console came from the site server's pool, not Dragonfly's.
check_site_address() {
  local ip; ip=$(grep -aoE 'net0: [0-9.]+/' "$(vm_serial "$1")" | tail -n1 | grep -oE '[0-9.]+[0-9]')
  note "$1 has $ip (site pool ${PROXY_SITE_RANGE/,/-}); site DHCP log: $(grep -c "DHCPACK.*$(cat "$(vm_dir "$1")/mac")" "$LAB_DIR/site-dhcp.log") ACKs"
  [[ $ip =~ ^$NET0\.([5-8][0-9]|90)$ ]]
}

check_tftp_in_history() {
  local out
  out=$(api wait-boot --mac "$PROXY_UEFI_MAC" --since "$(vm_started_iso proxy-uefi)" --steps tftp --timeout 5) || {
    note "no tftp step in the boot history (the firmware fetched snponly.efi: $(grep -c 'NBP file downloaded successfully' "$(vm_serial proxy-uefi)") downloads on its console): $out"
    return 1
  }
  note "$out"
}

scenario_proxy() {
  need_cp proxy
  # Two at once: the machine has two cores and these VMs stop at the script.
  boot_vm proxy-bios bios dfltap2 "$PROXY_BIOS_MAC"
  boot_vm proxy-uefi uefi dfltap3 "$PROXY_UEFI_MAC"
  check "bios-ipxe-proxy: dhcp->script" check_script_boot proxy-bios bios dhcp,script proxy
  check "bios-ipxe-proxy: site address" check_site_address proxy-bios
  vm_stop proxy-bios
  check "uefi-pxe-proxy: dhcp->script" check_script_boot proxy-uefi uefi dhcp,script proxy
  check "uefi-pxe-proxy: site address" check_site_address proxy-uefi
  check "uefi-pxe-proxy: tftp in history" check_tftp_in_history
  vm_stop proxy-uefi
}
