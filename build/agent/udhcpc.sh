#!/bin/sh
# busybox udhcpc event script: applies the lease (udhcpc sets $interface $ip $mask $router $dns).
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
