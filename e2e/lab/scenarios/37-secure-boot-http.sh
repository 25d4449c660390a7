# Secure Boot over UEFI HTTP boot, no TFTP at all (issue 16 point 2, docs/SECURE-BOOT.md):
# OVMF with Secure Boot enforced and Microsoft's keys, its PXE clients off (as in
# 32-uefi-http.sh), asks as HTTPClient:Arch:00016 and, with --secure-boot auto, is given
# the RAM disk /boot/secureboot/<mac>/boot.img (application/vnd.efi-img): shim -> Debian's
# signed GRUB -> the machine's GRUB configuration -> Debian-signed agent kernel, all read from
# the RAM disk. The agent registers with secureBoot true; a capture proves that no UDP 69
# packet was on the wire. Full mode, then proxy mode.
SCENARIOS+=(secure_boot_http)

SBH_FULL_MAC=52:54:00:98:00:37
SBH_PROXY_MAC=52:54:00:98:00:38

# check_sb_http_chain NAME [ARCH [SECONDS]]: the firmware downloaded the machine's RAM disk over
# HTTP (never PXE; ARCH arm64: the arm64 disk, ?arch=arm64), shim and GRUB started from it and
# GRUB loaded the signed agent kernel.
check_sb_http_chain() {
  local name=$1 arch=${2:-amd64} t=${3:-200} mac query=""
  mac=$(tr ':' '-' <"$(vm_dir "$name")/mac")
  [ "$arch" = amd64 ] || query="\\?arch=$arch"
  vm_wait_serial "$name" "URI: http://$SRV_IP:$CP_PORT/boot/secureboot/$mac/boot\\.img$query" "$t" || return 1
  if grep -aq 'Start PXE over IPv' "$(vm_serial "$name")"; then note "the firmware tried PXE (fw_cfg not honoured)"; return 1; fi
  # The kernel runs `quiet` (agentKernelArgs): that Secure Boot held is the agent's fact, checked next.
  vm_wait_serial "$name" 'Dragonfly: loading the agent' "$t" || return 1
  note "RAM disk ($arch) -> shim -> GRUB -> signed kernel at $(vm_age "$name")s after power-on"
}

# sb_http_run NAME MODE TAP MAC: one Secure Boot, HTTP-only VM from power-on to registered.
sb_http_run() {
  local name=$1 mode=$2 tap=$3 mac=$4
  need_cp "$mode"
  http_capture_start "$name" "$mac"
  OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.ms.fd \
    boot_vm "$name" uefi "$tap" "$mac" -machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on \
    -m 1536 -smp 2 "${HTTP_ONLY_FW[@]}"
  check "secure-boot-http-$mode: RAM disk -> shim -> GRUB -> agent" check_sb_http_chain "$name"
  if passed && has_agent_image; then
    check "secure-boot-http-$mode: registered with secureBoot true" sb_fact_check "$name" true "${LAB_AGENT_TIMEOUT:-300}"
  else
    agent_unavailable "secure-boot-http-$mode: registered with secureBoot true"
  fi
  vm_stop "$name"
  check "secure-boot-http-$mode: no tftp on the wire" check_no_tftp "$name"
}

scenario_secure_boot_http() {
  export DRAGONFLY_SECURE_BOOT=auto
  CP_MODE="" # force a restart: the setting is read at start
  sb_http_run sb-http-full full dfltap1 "$SBH_FULL_MAC"
  sb_http_run sb-http-proxy proxy dfltap2 "$SBH_PROXY_MAC"
  unset DRAGONFLY_SECURE_BOOT
  CP_MODE="" # the next scenario gets a control plane without the setting
}
