# Two-interface safety (DESIGN: DHCP binds only to the chosen interface). The server namespace
# has a second bridge dflbr1 with a client behind it; the control plane serves dflbr0 only.
# A DHCP client on dflbr1 must get no reply at all (proven by a capture on dflbr1), while a
# client on dflbr0 gets a lease.
SCENARIOS+=(two_interfaces)

udhcpc_once() { # NS IFACE TRIES -> exit 0 with a lease; output in $LAB_DIR/udhcpc-NS.log
  ip netns exec "$1" busybox udhcpc -f -q -n -i "$2" -t "$3" -T 1 -A 1 -s /bin/true >"$LAB_DIR/udhcpc-$1.log" 2>&1
}

check_lease_on_br0() {
  udhcpc_once "$NS_CLI0" dflvc01 5 || { note "no lease on $BR0: $(tr '\n' ' ' <"$LAB_DIR/udhcpc-$NS_CLI0.log")"; return 1; }
  note "$(grep -o 'lease of .*' "$LAB_DIR/udhcpc-$NS_CLI0.log" | head -n1)"
  grep -q "obtained from $SRV_IP" "$LAB_DIR/udhcpc-$NS_CLI0.log"
}

check_silent_on_br1() {
  local cap=$LAB_DIR/dflbr1.pcap from_server asked
  ip netns exec "$NS_SRV" tcpdump -i "$BR1" -n -U -w "$cap" 'udp port 67 or udp port 68' 2>"$LAB_DIR/tcpdump-br1.err" &
  echo $! >"$LAB_DIR/tcpdump-br1.pid"
  sleep 1 # tcpdump opens the capture
  if udhcpc_once "$NS_CLI1" dflvc11 3; then note "a client on $BR1 got a lease: $(tr '\n' ' ' <"$LAB_DIR/udhcpc-$NS_CLI1.log")"; stop_pidfile "$LAB_DIR/tcpdump-br1.pid"; return 1; fi
  sleep 1
  stop_pidfile "$LAB_DIR/tcpdump-br1.pid"
  asked=$(tcpdump -r "$cap" -n 'udp src port 68' 2>/dev/null | wc -l)
  from_server=$(tcpdump -r "$cap" -n "udp src port 67 or src host $SRV1_IP" 2>/dev/null | wc -l)
  note "capture on $BR1: $asked client packets, $from_server from a server"
  [ "$asked" -gt 0 ] && [ "$from_server" -eq 0 ]
}

scenario_two_interfaces() {
  need_cp full
  check "dhcp-lease-on-$BR0" check_lease_on_br0
  check "dhcp-silent-on-$BR1" check_silent_on_br1
}
