# UEFI HTTP boot with no TFTP at all (issue 16, point 2): OVMF with its PXE clients switched
# off through fw_cfg (OvmfPkg PxeBcPcdProducerLib reads opt/org.tianocore/IPv{4,6}PXESupport)
# and no option ROM on the NIC, so the only network boot option left is "UEFI HTTPv4". It
# asks as HTTPClient:Arch:00016, gets http://.../boot/files/snponly.efi with vendor class
# HTTPClient, and chains iPXE -> script -> agent. A capture of the VM's traffic proves that
# no TFTP packet (UDP 69) was on the wire. Full mode first, then proxy mode. The control plane
# runs with --secure-boot off: this is the iPXE path over HTTP boot, which `auto` (the default)
# gives a machine once its agent reported Secure Boot off; an unknown machine gets the signed
# chain's RAM disk first (37-secure-boot-http.sh, docs/SECURE-BOOT.md).
SCENARIOS+=(uefi_http)

# MACs of their own: the lab's control plane remembers machines across scenarios, and under
# --secure-boot auto a MAC registered here (Secure Boot off) would be sent iPXE in 35/36.
HTTP_FULL_MAC=52:54:00:98:00:3d
HTTP_PROXY_MAC=52:54:00:98:00:3e

# QEMU arguments for an OVMF whose only network boot is HTTP.
HTTP_ONLY_FW=(-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=no
  -fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=no)

# http_capture_start NAME: every frame to or from the VM's MAC, on the bridge.
http_capture_start() {
  local d; d=$(vm_dir "$1")
  mkdir -p "$d"
  ip netns exec "$NS_SRV" tcpdump -i "$BR0" -n -U -w "$d/boot.pcap" "ether host $2" 2>"$d/tcpdump.err" &
  echo $! >"$d/tcpdump.pid"
  sleep 1 # tcpdump opens the capture before the VM sends anything
}

# check_http_boot NAME MODE: the firmware fetched snponly.efi over HTTP (console and boot
# history), then iPXE ran the script and asked for the agent kernel.
check_http_boot() {
  local name=$1 mode=$2 summary at
  # OVMF prints ">>Start HTTP Boot over IPv4", then the URI it was given.
  vm_wait_serial "$name" "URI: http://$SRV_IP:$CP_PORT/boot/files/snponly\.efi" 200 || return 1
  if grep -aq 'Start PXE over IPv' "$(vm_serial "$name")"; then note "the firmware tried PXE (fw_cfg not honoured)"; return 1; fi
  vm_wait_serial "$name" "Filename: http://$SRV_IP:$CP_PORT/boot/ipxe" 150 || return 1
  vm_wait_serial "$name" "http://$SRV_IP:$CP_PORT/boot/agent/vmlinuz" 60 || return 1
  at=$(vm_age "$name")
  summary=$(api wait-boot --mac "$(cat "$(vm_dir "$name")/mac")" --since "$(vm_started_iso "$name")" \
    --steps dhcp,http,script --dhcp-mode "$mode" --timeout 15) || { note "$summary"; return 1; }
  note "script at ${at}s after power-on; $summary"
}

# check_no_tftp NAME: the capture holds the boot's DHCP and HTTP and not one UDP 69 packet.
check_no_tftp() {
  local d dhcp http tftp
  d=$(vm_dir "$1")
  stop_pidfile "$d/tcpdump.pid"
  dhcp=$(tcpdump -r "$d/boot.pcap" -n 'udp port 67 or udp port 4011' 2>/dev/null | wc -l)
  http=$(tcpdump -r "$d/boot.pcap" -n "tcp port $CP_PORT" 2>/dev/null | wc -l)
  tftp=$(tcpdump -r "$d/boot.pcap" -n 'udp port 69' 2>/dev/null | wc -l)
  note "captured from $1: $dhcp DHCP, $http HTTP, $tftp TFTP (UDP 69) packets"
  # Without DHCP and HTTP in it the capture saw nothing, and "no TFTP" would prove nothing.
  [ "$dhcp" -gt 0 ] && [ "$http" -gt 0 ] && [ "$tftp" -eq 0 ]
}

# http_boot_run NAME MODE TAP MAC: one HTTP-only UEFI VM from power-on to registered.
http_boot_run() {
  local name=$1 mode=$2 tap=$3 mac=$4
  need_cp "$mode"
  http_capture_start "$name" "$mac"
  boot_vm "$name" uefi "$tap" "$mac" -m 1536 -smp 2 "${HTTP_ONLY_FW[@]}"
  check "uefi-http-$mode: dhcp->http->script" check_http_boot "$name" "$mode"
  if passed && has_agent_image; then
    check "uefi-http-$mode: registered" check_registered "$name" uefi 2 1536
  else
    agent_unavailable "uefi-http-$mode: registered"
  fi
  vm_stop "$name"
  check "uefi-http-$mode: no tftp on the wire" check_no_tftp "$name"
}

scenario_uefi_http() {
  export DRAGONFLY_SECURE_BOOT=off
  CP_MODE="" # force a restart: the setting is read at start
  http_boot_run uefi-http-full full dfltap1 "$HTTP_FULL_MAC"
  http_boot_run uefi-http-proxy proxy dfltap2 "$HTTP_PROXY_MAC"
  unset DRAGONFLY_SECURE_BOOT
  CP_MODE="" # the next scenario gets a control plane with the default setting
}
