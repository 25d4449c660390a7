# SeaBIOS + QEMU's iPXE option ROM, full DHCP mode: DHCP -> HTTP script -> agent. Issue 4's
# lab proof: a VM of known shape (2 CPUs, 1536 MiB, two virtio disks of different sizes)
# registers with exactly those facts, and a second boot of the same MAC keeps the object.
SCENARIOS+=(bios_ipxe)

BIOS_MAC=52:54:00:98:00:11
DISK_A_BYTES=67108864  # 64 MiB
DISK_B_BYTES=168296448 # 160.5 MiB

bios_vm_args() {
  printf '%s\n' -m 1536 -smp 2
  vm_disk_args bios-ipxe da "$DISK_A_BYTES"
  vm_disk_args bios-ipxe db "$DISK_B_BYTES"
}

check_same_object() { # first "name uid" vs the one now
  local now_id; now_id=$(api show --mac "$BIOS_MAC" | cut -f1,2)
  note "first boot $1, second boot $now_id"
  [ "$now_id" = "$1" ]
}

# Issue 14: right after the VM's DHCP exchange, another host on the same segment (its own
# address) asks for the VM's boot script: it gets the retry script, no enrolment token.
OTHER_HOST_IP=$NET0.251
check_no_token_elsewhere() {
  local body
  ip -n "$NS_CLI0" addr replace "$OTHER_HOST_IP/24" dev dflvc01
  body=$(ip netns exec "$NS_CLI0" curl -sf --max-time 10 "http://$SRV_IP:$CP_PORT/boot/ipxe?mac=$1&platform=pcbios") || { note "no answer from the boot script route"; return 1; }
  note "$OTHER_HOST_IP got: $(sed -n 2p <<<"$body")"
  ! grep -q 'dragonfly.token=' <<<"$body" && grep -q 'no DHCP exchange' <<<"$body"
}

scenario_bios_ipxe() {
  need_cp full
  local args; mapfile -t args < <(bios_vm_args)
  boot_vm bios-ipxe bios dfltap0 "$BIOS_MAC" "${args[@]}"
  check "bios-ipxe-full: dhcp->script" check_script_boot bios-ipxe bios dhcp,script full
  if ! passed || ! has_agent_image; then
    agent_unavailable "bios-ipxe-full: registered"
    vm_stop bios-ipxe
    return 0
  fi
  check "bios-ipxe-full: registered" check_registered bios-ipxe bios 2 1536 "$DISK_A_BYTES,$DISK_B_BYTES"
  vm_stop bios-ipxe
  passed || return 0
  local first; first=$(api show --mac "$BIOS_MAC" | cut -f1,2) || true
  boot_vm bios-ipxe bios dfltap0 "$BIOS_MAC" "${args[@]}"
  check "bios-ipxe-full: 2nd boot script" check_script_boot bios-ipxe bios dhcp,script full
  passed && check "bios-ipxe-full: 2nd registered" check_registered bios-ipxe bios 2 1536 "$DISK_A_BYTES,$DISK_B_BYTES"
  passed && check "bios-ipxe-full: same object" check_same_object "$first"
  check "bios-ipxe-full: no token for another host" check_no_token_elsewhere "$BIOS_MAC"
  vm_stop bios-ipxe
}
