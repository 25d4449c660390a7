# Namespaces, bridges, taps and veths of the lab (LAB.md "Network"). All links live inside
# namespaces created here; nothing touches the root namespace's interfaces.

new_ns() {
  ip netns add "$1"
  ip -n "$1" link set lo up
  # No IPv6 autoconf/DAD noise from the lab's own links; RAs for iPXE come from dnsmasq (lab_ra_start).
  ip netns exec "$1" sysctl -qw net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.all.accept_ra=0
}

# new_bridge NS BR ADDR/PREFIX
new_bridge() {
  ip -n "$1" link add "$2" type bridge
  ip -n "$1" link set "$2" type bridge stp_state 0 forward_delay 0
  ip -n "$1" addr add "$3" dev "$2"
  ip -n "$1" link set "$2" up
  # Broadcasts sent from 0.0.0.0 need a route, else ENETUNREACH (LAB.md pitfalls).
  ip -n "$1" route add 255.255.255.255/32 dev "$2" 2>/dev/null || true
}

# new_tap NAME: a tap inside $NS_SRV, on dflbr0.
new_tap() {
  ip netns exec "$NS_SRV" ip tuntap add dev "$1" mode tap
  ip -n "$NS_SRV" link set "$1" master "$BR0" up
}

# new_veth_host NS BR HOSTSIDE NSSIDE: puts namespace NS on bridge BR of $NS_SRV through a veth pair.
new_veth_host() {
  ip -n "$NS_SRV" link add "$3" type veth peer name "$4" netns "$1"
  ip -n "$NS_SRV" link set "$3" master "$2" up
  ip -n "$1" link set "$4" up
}

lab_network_up() {
  for ns in "${LAB_NAMESPACES[@]}"; do new_ns "$ns"; done
  new_bridge "$NS_SRV" "$BR0" "$SRV_IP/24"
  new_bridge "$NS_SRV" "$BR1" "$SRV1_IP/24"
  # IPv6 on dflbr0 only to advertise a prefix to iPXE (else each iPXE waits ~13 s on autoconf).
  ip -n "$NS_SRV" addr add fd98::1/64 dev "$BR0" nodad
  new_veth_host "$NS_DNS" "$BR0" dflvdns0 dflvdns1
  ip -n "$NS_DNS" addr add "$DNS_IP/24" dev dflvdns1
  ip -n "$NS_DNS" route add 255.255.255.255/32 dev dflvdns1
  new_veth_host "$NS_CLI0" "$BR0" dflvc00 dflvc01
  new_veth_host "$NS_CLI1" "$BR1" dflvc10 dflvc11
  for i in 0 1 2 3; do new_tap "dfltap$i"; done
  log "network up: $NS_SRV ($BR0 $SRV_IP, $BR1 $SRV1_IP), $NS_DNS, $NS_CLI0, $NS_CLI1, taps dfltap0-3"
}

# Processes running inside the lab namespaces (all of them were started by this lab).
lab_ns_pids() {
  local ns
  for ns in "${LAB_NAMESPACES[@]}"; do
    ip netns list 2>/dev/null | grep -qw "^$ns" && ip netns pids "$ns" 2>/dev/null
  done | sort -u
}

lab_network_down() {
  local ns
  for ns in "${LAB_NAMESPACES[@]}"; do
    ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$ns" && ip netns del "$ns" 2>/dev/null
  done
  return 0
}
