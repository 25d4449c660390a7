# Secure Boot (issue 16, docs/SECURE-BOOT.md): OVMF with Secure Boot enforced and Microsoft's
# keys enrolled (OVMF_VARS_4M.ms.fd). Control first: with --secure-boot off the firmware is
# given the unsigned snponly.efi and refuses it, so the signed-chain check below can fail.
# Then --secure-boot auto: shim (Microsoft-signed) -> Debian's signed network GRUB -> per-MAC
# GRUB configuration over TFTP -> Debian-signed agent kernel, and the agent reports secureBoot
# true. Negative: OVMF without Secure Boot, through the same chain, reports false. Then the
# same MAC with Secure Boot turned on: its refused iPXE is noticed and it gets the signed chain.
SCENARIOS+=(secure_boot)

SB_MAC=52:54:00:98:00:31
SB_CTRL_MAC=52:54:00:98:00:32
SB_OFF_MAC=52:54:00:98:00:33

# sb_vm NAME MAC [QEMU ARGS]: boot_vm on OVMF's Secure Boot build (SMM, secure flash: the
# variables cannot be changed behind the firmware's back).
sb_vm() {
  local name=$1 mac=$2; shift 2
  OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.ms.fd \
    boot_vm "$name" uefi dfltap1 "$mac" -machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on "$@"
}

# cp_secure_boot auto|off: (re)starts the control plane in full mode with that setting.
cp_secure_boot() {
  export DRAGONFLY_SECURE_BOOT=$1
  CP_MODE="" # force a restart: the setting is read at start
  need_cp full
}

# check_refuses_unsigned NAME [NBP [SECONDS SECONDS]]: the firmware got the unsigned iPXE
# (snponly.efi; ipxe-arm64.efi on arm64, slower under TCG) and refused it; iPXE never started.
check_refuses_unsigned() {
  local name=$1 nbp=${2:-snponly.efi} t_nbp=${3:-150} t_refused=${4:-120}
  vm_wait_serial "$name" "NBP filename is ${nbp//./\\.}" "$t_nbp" || return 1
  vm_wait_serial "$name" 'Access Denied|Security Violation' "$t_refused" || return 1
  if grep -aq 'iPXE initialising\|iPXE 1\.' "$(vm_serial "$name")"; then note "iPXE started although unsigned"; return 1; fi
  note "firmware refused $nbp at $(vm_age "$name")s: $(tr -d '\r' <"$(vm_serial "$name")" | grep -aoE '(Access Denied|Security Violation)' | head -n1)"
}

# check_refused_then_signed NAME: a machine known as Secure Boot off whose firmware now enforces
# it is given iPXE, refuses it, and in the same power-on (its next option: UEFI HTTP boot) gets
# the signed chain's RAM disk, because the control plane noticed the refusal (ipxe-refusal.ts).
check_refused_then_signed() {
  local name=$1 mac
  check_refuses_unsigned "$name" || return 1
  mac=$(tr ':' '-' <"$(vm_dir "$name")/mac")
  vm_wait_serial "$name" "URI: http://$SRV_IP:$CP_PORT/boot/secureboot/$mac/boot\.img" 200 || return 1
  vm_wait_serial "$name" 'Dragonfly: loading the agent' 180 || return 1
  note "iPXE refused, then RAM disk -> shim -> GRUB at $(vm_age "$name")s after power-on"
}

# check_signed_chain NAME [SHIM [SECONDS SECONDS]]: over PXE the firmware got the signed shim
# (shimaa64.efi on arm64, slower under TCG), which started GRUB, which read the per-MAC
# configuration and is loading the agent.
check_signed_chain() {
  local name=$1 shim=${2:-shimx64.efi} t_nbp=${3:-150} t_agent=${4:-180}
  vm_wait_serial "$name" "NBP filename is ${shim//./\\.}" "$t_nbp" || return 1
  vm_wait_serial "$name" 'Dragonfly: loading the agent' "$t_agent" || return 1
  note "$shim -> GRUB -> per-MAC config at $(vm_age "$name")s after power-on"
}

scenario_secure_boot() {
  cp_secure_boot off
  sb_vm sb-control "$SB_CTRL_MAC" -m 1024
  check "secure-boot: firmware refuses unsigned snponly.efi (control)" check_refuses_unsigned sb-control
  vm_stop sb-control

  cp_secure_boot auto
  sb_vm secure-boot "$SB_MAC" -m 1536 -smp 2
  check "secure-boot: shim -> GRUB -> agent config" check_signed_chain secure-boot
  if passed && has_agent_image; then
    check "secure-boot: signed agent kernel registered (uefi)" check_registered_sb secure-boot
  else
    agent_unavailable "secure-boot: signed agent kernel registered (uefi)"
  fi
  if passed; then check "secure-boot: agent reports secureBoot true" sb_fact_check secure-boot true; fi
  vm_stop secure-boot

  # The same chain on OVMF without Secure Boot (no keys enrolled): shim and GRUB boot, and the
  # agent must say false, so a fact stuck at true would fail here.
  boot_vm sb-off uefi dfltap1 "$SB_OFF_MAC" -m 1536 -smp 2
  check "secure-boot off: shim -> GRUB -> agent config" check_signed_chain sb-off
  if passed && has_agent_image; then
    check "secure-boot off: agent reports secureBoot false" sb_fact_check sb-off false "${LAB_AGENT_TIMEOUT:-300}"
  else
    agent_unavailable "secure-boot off: agent reports secureBoot false"
  fi
  vm_stop sb-off

  # Secure Boot turned on after sb-off registered with it off: the same MAC on the Secure Boot
  # firmware (its IPv6 PXE off in setup, so the option after IPv4 PXE is UEFI HTTP boot).
  if passed; then
    sb_vm sb-later "$SB_OFF_MAC" -m 1536 -smp 2 -fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no
    check "secure-boot turned on later: iPXE refused, the signed chain in the same power-on" check_refused_then_signed sb-later
    if passed; then check "secure-boot turned on later: agent reports secureBoot true" sb_fact_check sb-later true "${LAB_AGENT_TIMEOUT:-300}"; fi
    vm_stop sb-later
  fi
  unset DRAGONFLY_SECURE_BOOT
  CP_MODE="" # the next scenario gets a control plane without the setting
}

check_registered_sb() {
  local name=$1 out
  out=$(api wait-registered --mac "$(cat "$(vm_dir "$name")/mac")" --since "$(vm_started_iso "$name")" \
    --firmware uefi --cpus 2 --memory-mib 1536 --timeout "${LAB_AGENT_TIMEOUT:-300}") || {
    note "$out; serial: $(tr -d '\r' <"$(vm_serial "$name")" | grep -a . | tail -n1 | cut -c1-100)"
    return 1
  }
  note "registered at $(vm_age "$name")s after power-on: $out"
}

# sb_fact_check NAME true|false [TIMEOUT]: the machine registered with that secureBoot fact,
# read by the agent from the SecureBoot EFI variable (agent/hardware/secure-boot.ts).
sb_fact_check() {
  local out
  out=$(api wait-registered --mac "$(cat "$(vm_dir "$1")/mac")" --since "$(vm_started_iso "$1")" \
    --firmware uefi --secure-boot "$2" --timeout "${3:-5}") || { note "$out"; return 1; }
  note "registered at $(vm_age "$1")s after power-on: $out"
}
