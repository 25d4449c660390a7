# Checks shared by the VM scenarios. Each returns 0/1 and leaves a one-line note (see check()).

# check_script_boot NAME bios|uefi STEPS MODE [TIMEOUT]: the VM went DHCP (-> TFTP) -> HTTP
# script, seen both on its serial console and in the control plane's boot history.
check_script_boot() {
  local name=$1 fw=$2 steps=$3 mode=$4 timeout=${5:-150} serial summary
  serial=$(vm_serial "$name")
  if [ "$fw" = uefi ]; then
    vm_wait_serial "$name" 'NBP filename is snponly\.efi' "$timeout" || return 1
    vm_wait_serial "$name" 'NBP file downloaded successfully' 60 || return 1
  fi
  vm_wait_serial "$name" "Filename: http://$SRV_IP:$CP_PORT/boot/ipxe" "$timeout" || return 1
  # The kernel line comes from the per-MAC script, so its appearance means the script ran.
  vm_wait_serial "$name" "http://$SRV_IP:$CP_PORT/boot/agent/vmlinuz" 60 || return 1
  local at; at=$(vm_age "$name")
  summary=$(api wait-boot --mac "$(cat "$(vm_dir "$name")/mac")" --since "$(vm_started_iso "$name")" \
    --steps "$steps" --dhcp-mode "$mode" --timeout 15) || { note "$summary"; return 1; }
  note "script at ${at}s after power-on; $(grep -aoE 'net[0-9]+: [0-9.]+/[0-9.]+' "$serial" | tail -n1); $summary"
}

# check_registered NAME bios|uefi CPUS MEMMIB DISKBYTES: the agent registered with exactly
# the VM's shape.
check_registered() {
  local name=$1 fw=$2 out
  out=$(api wait-registered --mac "$(cat "$(vm_dir "$name")/mac")" --since "$(vm_started_iso "$name")" \
    --firmware "$fw" --cpus "$3" --memory-mib "$4" ${5:+--disk-bytes "$5"} --timeout "${LAB_AGENT_TIMEOUT:-300}") || {
    note "$out; serial: $(tr -d '\r' <"$(vm_serial "$name")" | grep -a . | tail -n1 | cut -c1-100)"
    return 1
  }
  note "registered ${1} at $(vm_age "$name")s after power-on: $out"
}

# agent_unavailable CHECKNAME: records why a registration check cannot run. A SKIP, or a FAIL
# with LAB_REQUIRE_AGENT=1 (CI, once the agent image is built before the lab).
agent_unavailable() {
  local why='no complete agent image in dist/agent-image (npm run build:agent)'
  passed || why='the boot did not reach the script'
  if [ "${LAB_REQUIRE_AGENT:-0}" = 1 ] || ! passed; then record "$1" FAIL 0 "$why"; else skip "$1" "$why"; fi
}

# boot_vm NAME bios|uefi TAP MAC [QEMU ARGS]: vm_start that remembers the MAC for the checks.
boot_vm() {
  mkdir -p "$(vm_dir "$1")"
  echo "$4" >"$(vm_dir "$1")/mac"
  vm_start "$@"
}
