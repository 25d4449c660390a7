# Site hand-off, its lab proof: a provisioned machine does not need Dragonfly any more.
# A provisioned VM (the IPMI scenario's, else the provisioning scenario's, else one provisioned
# here with the same helpers) is booted again after the control plane is STOPPED and nothing
# answers DHCP on dflbr0: same disk, same MAC, network first as before. The firmware's PXE
# attempt gets no answer (a capture on dflbr0 proves it asked and nobody replied), it falls
# through to the disk, and the marker appears on serial. Then the stopped instance's data dir
# is exported (dragonfly export), imported into a fresh data dir (dragonfly import), and that
# instance, started with --dhcp-mode off on loopback, lists the machine as Ready.
# The IPv6 router advertiser stays (it plays the site's router, not a DHCP server).
# Afterwards the control plane is restarted on demand by the next scenario (need_cp).
# Environment: UNP_TAP (default dfltap1), PROV_TIMEOUT.
SCENARIOS+=(unplugged)

UNP_MAC=52:54:00:98:00:71 # only when this scenario provisions its own VM
UNP_TAP=${UNP_TAP:-dfltap1}
UNP_PORT=8091 # the imported instance's API, on the server namespace's loopback

# unp_pick: a VM that is Ready on its local disk -> UNP_NAME, UNP_HW, UNP_VMMAC.
unp_pick() {
  local n
  for n in "${IPMI_VM:-dfi-ipmi}:${IPMI_MAC:-}" "dfp-bios:52:54:00:98:00:51"; do
    local name=${n%%:*} mac=${n#*:}
    if [ -n "$mac" ] && [ -f "$(vm_dir "$name")/ready-at" ] && [ -f "$(vm_dir "$name")/disk.img" ]; then
      UNP_NAME=$name UNP_VMMAC=$mac UNP_HW=$(cat "$(vm_dir "$name")/hw")
      # the host name the marker prints ("unnamed" when the template wrote no seed file)
      UNP_HOST=$(cat "$(vm_dir "$name")/marker-host" 2>/dev/null || echo "$UNP_HW")
      return 0
    fi
  done
  return 1
}

ck_unp_have_vm() {
  unp_pick || return 1
  note "reusing $UNP_NAME ($UNP_HW, $UNP_VMMAC), provisioned earlier in this run"
}

# Nothing of Dragonfly runs, and no DHCP/TFTP/proxyDHCP socket is open in the lab's namespaces.
ck_unp_stop_cp() {
  local pid ns socks=""
  pid=$(cat "$LAB_DIR/cp.pid" 2>/dev/null || true)
  cp_stop
  CP_MODE=""
  site_dhcp_stop
  stop_pidfile "$LAB_DIR/ref-dhcp.pid"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && { note "the control plane (pid $pid) still runs"; return 1; }
  for ns in "$NS_SRV" "$NS_DNS"; do
    socks+=$(ip netns exec "$ns" ss -Hlunp 2>/dev/null | awk '$4 ~ /:(67|69|4011)$/' | tr '\n' ' ')
  done
  [ -z "$socks" ] || { note "still listening: $socks"; return 1; }
  in_srv curl -fsS -m 2 -o /dev/null "$CP_URL/healthz" 2>/dev/null && { note "something still answers on $CP_URL"; return 1; }
  note "control plane stopped (pid ${pid:-none}); nothing listens on UDP 67/69/4011 in $NS_SRV or $NS_DNS; API gone"
}

# The VM boots network first; nobody answers; it falls through to its disk.
ck_unp_boot() {
  local d cap=$LAB_DIR/unplugged.pcap; d=$(vm_dir "$UNP_NAME")
  ip netns exec "$NS_SRV" tcpdump -i "$BR0" -n -U -w "$cap" 'udp port 67 or udp port 68 or udp port 69 or udp port 4011' 2>"$LAB_DIR/tcpdump-unplugged.err" &
  echo $! >"$LAB_DIR/tcpdump-unplugged.pid"
  sleep 1
  prov_boot "$UNP_NAME" bios "$UNP_TAP" "$UNP_VMMAC"
  vm_wait_serial "$UNP_NAME" "DRAGONFLY-LOCAL-BOOT-OK $UNP_HOST firmware=bios" "${PROV_TIMEOUT:-420}" || return 1
  local at; at=$(vm_age "$UNP_NAME")
  # SeaBIOS hands the boot to the NIC's iPXE ROM first ("Booting from ROM"), then to the disk.
  tr -d '\r' <"$(vm_serial "$UNP_NAME")" | grep -a 'Booting from' | paste -sd' ' | grep -q 'Booting from ROM.*Booting from Hard Disk' ||
    { note "the console does not show the network tried before the disk: $(tr -d '\r' <"$(vm_serial "$UNP_NAME")" | grep -a 'Booting from' | paste -sd';')"; return 1; }
  grep -aq 'Dragonfly: booting from the local disk' "$(vm_serial "$UNP_NAME")" && { note "a Dragonfly script ran: something served it"; return 1; }
  echo "$at" >"$d/unplugged-marker-at"
  prov_wait_off "$UNP_NAME" 60 || true
  note "marker at ${at} s after power-on ($(tr -d '\r' <"$(vm_serial "$UNP_NAME")" | grep -aoE 'DHCP.{0,60}(timed out|failed).{0,40}|No configuration methods succeeded|No more network devices' | head -n2 | paste -sd';'))"
}

ck_unp_wire() {
  local cap=$LAB_DIR/unplugged.pcap asked answered
  stop_pidfile "$LAB_DIR/tcpdump-unplugged.pid"
  asked=$(tcpdump -r "$cap" -n 'udp src port 68' 2>/dev/null | wc -l)
  answered=$(tcpdump -r "$cap" -n 'udp src port 67 or udp src port 69 or udp src port 4011' 2>/dev/null | wc -l)
  note "capture on $BR0 during the boot: $asked DHCP packets from the VM, $answered from any server"
  [ "$asked" -gt 0 ] && [ "$answered" -eq 0 ]
}

ck_unp_export() {
  local out
  out=$(node "$LAB_REPO/bin/dragonfly.mjs" export --data-dir "$LAB_DIR/cp-full/data" -o "$LAB_DIR/site.json" 2>&1) || { note "$out"; return 1; }
  grep -q "\"$UNP_HW\"" "$LAB_DIR/site.json" || { note "$out; but $UNP_HW is not in site.json"; return 1; }
  note "$out ($(stat -c %s "$LAB_DIR/site.json") bytes)"
}

ck_unp_import() {
  local out d=$LAB_DIR/site2
  rm -rf "$d"; mkdir -p "$d/data"
  out=$(node "$LAB_REPO/bin/dragonfly.mjs" import "$LAB_DIR/site.json" --data-dir "$d/data" 2>&1) || { note "$out"; return 1; }
  note "$out"
}

# The imported instance: started with DHCP off on loopback, asked over the API, stopped.
ck_unp_imported_ready() {
  local d=$LAB_DIR/site2 token out
  token=$(node "$LAB_REPO/bin/dragonfly.mjs" tokens create lab --data-dir "$d/data" | tail -n1)
  fresh_log "$d/serve.log"
  ip netns exec "$NS_SRV" node "$LAB_REPO/bin/dragonfly.mjs" serve --data-dir "$d/data" --http-port "$UNP_PORT" \
    --listen 127.0.0.1 --dhcp-mode off --tftp-port 0 --log-level info >>"$d/serve.log" 2>&1 &
  echo $! >"$LAB_DIR/site2.pid"
  wait_http_up "imported instance" $! "$d/serve.log" "$NS_SRV" "http://127.0.0.1:$UNP_PORT" || { note "$READY_ERR"; stop_pidfile "$LAB_DIR/site2.pid"; return 1; }
  out=$(LAB_TOKEN=$token IAPI_URL=http://127.0.0.1:$UNP_PORT iapi ready --mac "$UNP_VMMAC")
  local rc=$?
  stop_pidfile "$LAB_DIR/site2.pid" 10
  note "imported instance (--dhcp-mode off): $out; stopped"
  return $rc
}

scenario_unplugged() {
  local p=unplugged
  if unp_pick; then
    check "$p: provisioned VM" ck_unp_have_vm
  else
    if ! prov_can_run; then skip "$p: marker without Dragonfly" "$PROV_WHY"; return 0; fi
    UNP_NAME=dfu-bios UNP_VMMAC=$UNP_MAC
    rm -rf "$(vm_dir "$UNP_NAME")"
    prov_lifecycle "$p" "$UNP_NAME" bios "$UNP_TAP" "$UNP_VMMAC" || { vm_stop "$UNP_NAME"; return 0; }
    prov_wait_off "$UNP_NAME" 30 >/dev/null || vm_stop "$UNP_NAME"
    UNP_HW=$(cat "$(vm_dir "$UNP_NAME")/hw") UNP_HOST=$UNP_HW
  fi
  passed || return 0
  check "$p: control plane stopped" ck_unp_stop_cp
  passed || return 0
  check "$p: PXE unanswered -> disk marker" ck_unp_boot
  vm_stop "$UNP_NAME"
  check "$p: no DHCP answer on the wire" ck_unp_wire
  check "$p: export (stopped instance)" ck_unp_export
  passed && check "$p: import into a fresh dir" ck_unp_import
  passed && check "$p: imported instance: Ready" ck_unp_imported_ready
}
