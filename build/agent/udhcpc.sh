#!/bin/sh
# busybox udhcpc event script: applies the lease (udhcpc sets $interface $ip $mask $router $dns).
# Probe mode (the agent's failover, agent/dhcp-probe.ts): DRAGONFLY_DHCP_PROBE names a file that
# gets the answering server's identifier; the interface and its lease are left alone.
if [ -n "$DRAGONFLY_DHCP_PROBE" ]; then
  [ "$1" = bound ] && echo "$serverid" >"$DRAGONFLY_DHCP_PROBE"
  exit 0
fi
case "$1" in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound|renew)
    [ "$1" = bound ] && ip -4 addr flush dev "$interface"
    ip addr replace "$ip/${mask:-24}" dev "$interface" ${broadcast:+broadcast "$broadcast"}
    if [ -n "$router" ]; then
      ip route del default dev "$interface" 2>/dev/null
      set -- $router
      ip route add default via "$1" dev "$interface"
    fi
    : > /etc/resolv.conf
    [ -n "$domain" ] && echo "search $domain" >> /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    echo "dragonfly-init: $interface has $ip/${mask:-24}, router ${router:-none} (at $(cut -d' ' -f1 /proc/uptime) s)"
    ;;
esac
exit 0
