# Issue 13: a machine that boots from its SECOND NIC. SeaBIOS boots the second NIC's iPXE ROM
# (bootindex), iPXE also drives the first NIC (net0) but boots from net1, so the chain script
# must ask with ${netX/mac} (the NIC iPXE booted from), not ${net0/mac}. Proof: the agent
# comes up on the second NIC and registers ONE machine that has both MACs.
SCENARIOS+=(multi_nic)

MULTI_MAC_A=52:54:00:98:00:a1 # first NIC: on a tap with no network behind it
MULTI_MAC_B=52:54:00:98:00:b2 # second NIC: on dflbr0, the one the VM boots from

# A tap in $NS_SRV attached to no bridge: link up, nobody answers.
multi_dead_tap() {
  ip netns exec "$NS_SRV" ip tuntap add dev dfltapx mode tap 2>/dev/null || true
  ip -n "$NS_SRV" link set dfltapx up
}

# QEMU args for the first NIC; boot_vm adds the second (bootindex=1, the boot NIC).
multi_vm_args() {
  printf '%s\n' -m 1024 \
    -netdev tap,id=na,ifname=dfltapx,script=no,downscript=no \
    -device "virtio-net-pci,netdev=na,mac=$MULTI_MAC_A,addr=0x4"
}

check_one_machine_both_macs() {
  local out
  out=$(api same-machine --mac "$MULTI_MAC_B" --other-macs "$MULTI_MAC_A") || { note "$out"; return 1; }
  note "$out"
}

scenario_multi_nic() {
  need_cp full
  multi_dead_tap
  local args; mapfile -t args < <(multi_vm_args)
  # The boot NIC sits at a higher PCI slot than the dead one: iPXE names it net1.
  VM_NIC_ADDR=0x5 boot_vm multi-nic bios dfltap1 "$MULTI_MAC_B" "${args[@]}"
  check "multi-nic: script for the boot NIC" check_script_boot multi-nic bios dhcp,script full
  if ! passed || ! has_agent_image; then
    agent_unavailable "multi-nic: registered once, both MACs"
    vm_stop multi-nic
    return 0
  fi
  check "multi-nic: registered" check_registered multi-nic bios 1 1024
  passed && check "multi-nic: one machine, both MACs" check_one_machine_both_macs
  vm_stop multi-nic
}
