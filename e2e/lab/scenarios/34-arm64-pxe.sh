# ARM64 (issue 16, point 4); alone: `npm run e2e:lab:arm64` (about 25 s from power-on to the
# script under TCG, so it also runs with the others in CI). qemu-system-aarch64
# (virt machine, TCG) with AAVMF (Debian qemu-efi-aarch64), the firmware's own PXE client
# (no option ROM on the NIC): DHCP as PXEClient arch 11 -> TFTP ipxe-arm64.efi (built from
# upstream iPXE, assets/ipxe/README.md) -> iPXE (arm64) DHCP -> the per-MAC script.
# Then the same over UEFI HTTP boot (PXE off: HTTPClient arch 19 -> http .../ipxe-arm64.efi).
# Proves the arm64 boot file. With the arm64 agent image built (npm run build:agent-image --
# --arch arm64 -> dist/agent-image-arm64), the PXE VM goes on to boot it and registers with
# arch aarch64, its CPUs and firmware (memory: arm64_memory_check); without it, the script tells the machine so
# (core/boot/agent-arch.ts) and the registration check is a SKIP saying why.
SCENARIOS+=(arm64)

ARM64_AGENT_DIR=$LAB_REPO/dist/agent-image-arm64
has_arm64_agent_image() { [ -f "$ARM64_AGENT_DIR/vmlinuz" ] && [ -f "$ARM64_AGENT_DIR/initramfs.img" ]; }

ARM64_MAC=52:54:00:98:00:3a
ARM64_HTTP_MAC=52:54:00:98:00:3b
AAVMF_CODE=/usr/share/AAVMF/AAVMF_CODE.fd
AAVMF_VARS=/usr/share/AAVMF/AAVMF_VARS.fd

# arm64_vm_start NAME TAP MAC [QEMU ARGS]: like vm_start (same files, so vm_wait_serial/vm_stop/vm_age work).
arm64_vm_start() {
  local name=$1 tap=$2 mac=$3 d
  shift 3
  d=$(vm_dir "$name")
  mkdir -p "$d"
  echo "$mac" >"$d/mac"
  : >"$d/serial.log"
  rm -f "$d/qemu.pid"
  [ -f "$d/vars.fd" ] || cp "$AAVMF_VARS" "$d/vars.fd"
  # VM_BOOTINDEX=0 (as vm_start): no QEMU boot order, so AAVMF boots by the NVRAM BootOrder and
  # connects every device, not only the ones QEMU listed (a disk left out is invisible to GRUB).
  local nic="virtio-net-pci,netdev=n0,mac=$mac,romfile="
  [ "${VM_BOOTINDEX:-1}" = 1 ] && nic+=",bootindex=1"
  ip netns exec "$NS_SRV" qemu-system-aarch64 -M virt -cpu cortex-a57 -accel tcg -m 1024 -smp 2 \
    -nographic -no-reboot -monitor none -serial "file:$d/serial.log" -pidfile "$d/qemu.pid" \
    -drive "if=pflash,format=raw,unit=0,readonly=on,file=$AAVMF_CODE" -drive "if=pflash,format=raw,unit=1,file=$d/vars.fd" \
    -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" -device "$nic" \
    "$@" </dev/null >"$d/qemu.out" 2>&1 &
  echo $! >"$d/qemu.pid"
  now >"$d/started"
  date -u +%Y-%m-%dT%H:%M:%S.%3NZ >"$d/started.iso"
  log "VM $name (arm64 AAVMF, $mac on $tap) started"
}

# check_arm64_script NAME: firmware got ipxe-arm64.efi over TFTP, the arm64 iPXE ran and asked
# for its script; the boot history shows dhcp -> tftp ipxe-arm64.efi -> script.
check_arm64_script() {
  local name=$1 summary at
  vm_wait_serial "$name" 'NBP filename is ipxe-arm64\.efi' 300 || return 1
  vm_wait_serial "$name" "Filename: http://$SRV_IP:$CP_PORT/boot/ipxe" 300 || return 1
  if has_arm64_agent_image; then
    vm_wait_serial "$name" "http://$SRV_IP:$CP_PORT/boot/agent/arm64/vmlinuz" 120 || return 1
  else # the script says so instead of handing over the amd64 kernel
    vm_wait_serial "$name" 'cannot discover or image this machine: .*this machine is arm64' 120 || return 1
  fi
  at=$(vm_age "$name")
  summary=$(api wait-boot --mac "$ARM64_MAC" --since "$(vm_started_iso "$name")" --steps dhcp,tftp,script --dhcp-mode full --timeout 15) || {
    note "$summary"
    return 1
  }
  # The TFTP step names the file the server chose for option 93 = 11.
  [[ $summary == *"tftp: "*"ipxe-arm64.efi "* ]] || { note "the boot history has no TFTP of ipxe-arm64.efi: $summary"; return 1; }
  note "script at ${at}s after power-on (arm64 iPXE: $(sed 's/\x1b\[[0-9;]*m//g' "$(vm_serial "$name")" | grep -aoE 'iPXE [0-9][^ ]*' | head -n1)); $summary"
}

# check_arm64_http NAME: PXE off, so AAVMF asked as HTTPClient arch 19 and fetched
# ipxe-arm64.efi over HTTP; the arm64 iPXE reached the script.
check_arm64_http() {
  local name=$1 summary
  vm_wait_serial "$name" "URI: http://$SRV_IP:$CP_PORT/boot/files/ipxe-arm64\.efi" 300 || return 1
  if grep -aq 'Start PXE over IPv' "$(vm_serial "$name")"; then note "the firmware tried PXE (fw_cfg not honoured)"; return 1; fi
  vm_wait_serial "$name" "Filename: http://$SRV_IP:$CP_PORT/boot/ipxe" 300 || return 1
  if has_arm64_agent_image; then
    vm_wait_serial "$name" "http://$SRV_IP:$CP_PORT/boot/agent/arm64/vmlinuz" 120 || return 1
  else
    vm_wait_serial "$name" 'cannot discover or image this machine: .*this machine is arm64' 120 || return 1
  fi
  summary=$(api wait-boot --mac "$ARM64_HTTP_MAC" --since "$(vm_started_iso "$name")" --steps dhcp,http,script --dhcp-mode full --timeout 15) || {
    note "$summary"
    return 1
  }
  note "script at $(vm_age "$name")s after power-on; $summary"
}

# check_arm64_registered NAME: the arm64 agent (Debian's arm64 kernel and Node) registered with
# arch aarch64, the VM's CPUs and firmware. Under TCG this takes minutes (LAB_ARM64_AGENT_TIMEOUT,
# default 900 s). Memory is checked on its own (arm64_memory_check).
check_arm64_registered() {
  local name=$1 out
  out=$(api wait-registered --mac "$ARM64_MAC" --since "$(vm_started_iso "$name")" --firmware uefi --arch aarch64 \
    --cpus 2 --timeout "${LAB_ARM64_AGENT_TIMEOUT:-900}") || {
    note "$out; serial: $(tr -d '\r' <"$(vm_serial "$name")" | grep -a . | tail -n1 | cut -c1-100)"
    return 1
  }
  note "registered at $(vm_age "$name")s after power-on: $out"
}

scenario_arm64() {
  # The iPXE path: with auto (the default) an unknown arm64 machine gets the signed chain first (39-arm64-secure-boot.sh).
  cp_secure_boot off
  arm64_vm_start arm64 dfltap1 "$ARM64_MAC"
  check "arm64-pxe-full: dhcp->tftp->script" check_arm64_script arm64
  if ! has_arm64_agent_image; then
    skip "arm64-pxe-full: arm64 agent registered" "no arm64 agent image in dist/agent-image-arm64 (npm run build:agent-image -- --arch arm64)"
  elif passed; then
    check "arm64-pxe-full: arm64 agent registered" check_arm64_registered arm64
    passed && arm64_memory_check
  fi
  vm_stop arm64
  # HTTP_ONLY_FW: scenarios/32-uefi-http.sh (ArmVirtQemu reads the same fw_cfg knobs as OVMF).
  http_capture_start arm64-http "$ARM64_HTTP_MAC"
  arm64_vm_start arm64-http dfltap2 "$ARM64_HTTP_MAC" "${HTTP_ONLY_FW[@]}"
  check "arm64-http-full: dhcp->http->script" check_arm64_http arm64-http
  vm_stop arm64-http
  check "arm64-http-full: no tftp on the wire" check_no_tftp arm64-http
  unset DRAGONFLY_SECURE_BOOT
  CP_MODE="" # the next scenario gets a control plane without the setting
}

# The memory fact against the VM's 1024 MiB. The agent once read 1152 MiB here: AAVMF's
# variable flash (64 MiB at 0x04000000) is a no-map region with a memory block of its own; the
# agent now counts only blocks that hold System RAM (agent/hardware/memory.ts).
arm64_memory_check() {
  check "arm64-pxe-full: memory fact is the VM's 1024 MiB" api wait-registered --mac "$ARM64_MAC" --firmware uefi --memory-mib 1024 --timeout 5
}
