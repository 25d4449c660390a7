# Opt-in benchmark (LAB_BENCH=1; bench/lab.bench.ts runs it): seconds from power-on to the
# per-MAC iPXE script, per firmware, with Dragonfly's DHCP/TFTP and, side by side in the same
# run, with dnsmasq (the reference) handing out the same boot files. The HTTP script comes
# from Dragonfly in both cases, so the difference is DHCP (+ TFTP for OVMF).
# Figures go to $LAB_DIR/bench.tsv: server, firmware, round, seconds.
[ "${LAB_BENCH:-0}" = 1 ] && SCENARIOS+=(bench)

BENCH_BIOS_MAC=52:54:00:98:00:41
BENCH_UEFI_MAC=52:54:00:98:00:42

# dnsmasq as a full DHCP + TFTP server: iPXE gets the script URL, OVMF gets snponly.efi over TFTP.
ref_dhcp_start() {
  fresh_log "$LAB_DIR/ref-dhcp.log"
  fresh_log "$LAB_DIR/ref-dhcp.out"
  ip netns exec "$NS_DNS" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-hosts --no-resolv --port=0 \
    --user=root --interface=dflvdns1 --bind-interfaces --dhcp-range="$NET0.150,$NET0.199,255.255.255.0,1h" --no-ping \
    --dhcp-leasefile="$LAB_DIR/ref-dhcp.leases" --dhcp-userclass=set:ipxe,iPXE \
    --dhcp-match=set:efi64,option:client-arch,7 \
    --dhcp-boot=tag:ipxe,"http://$SRV_IP:$CP_PORT/boot/ipxe" --dhcp-boot=tag:!ipxe,tag:efi64,snponly.efi \
    --enable-tftp --tftp-root="$LAB_REPO/assets/ipxe" --log-facility="$LAB_DIR/ref-dhcp.log" \
    >>"$LAB_DIR/ref-dhcp.out" 2>&1 &
  echo $! >"$LAB_DIR/ref-dhcp.pid"
  # DHCP and TFTP both bound by this dnsmasq, not just "still alive after a moment"
  wait_udp_bound "dnsmasq (reference)" $! "$LAB_DIR/ref-dhcp.out" "$NS_DNS" 67 || die "$READY_ERR"
  wait_udp_bound "dnsmasq (reference)" $! "$LAB_DIR/ref-dhcp.out" "$NS_DNS" 69 || die "$READY_ERR"
}

# bench_boot SERVER FW ROUND: one boot, stopped once the per-MAC script ran.
bench_boot() {
  local server=$1 fw=$2 round=$3 name="bench-$1-$2" mac tap secs
  if [ "$fw" = bios ]; then mac=$BENCH_BIOS_MAC tap=dfltap0; else mac=$BENCH_UEFI_MAC tap=dfltap1; fi
  rm -rf "$(vm_dir "$name")"
  boot_vm "$name" "$fw" "$tap" "$mac"
  vm_wait_serial "$name" "http://$SRV_IP:$CP_PORT/boot/agent/vmlinuz" 180 || { vm_stop "$name"; return 1; }
  secs=$(vm_age "$name")
  vm_stop "$name"
  printf '%s\t%s\t%s\t%s\n' "$server" "$fw" "$round" "$secs" >>"$LAB_DIR/bench.tsv"
  note "$server $fw round $round: script at ${secs}s after power-on"
}

scenario_bench() {
  local r fw
  # The iPXE path for every UEFI VM, as dnsmasq gives it: the bench's VMs never register, so
  # under the default (auto) each would be an unknown machine and get shim (docs/SECURE-BOOT.md).
  export DRAGONFLY_SECURE_BOOT=off
  CP_MODE=""
  for ((r = 1; r <= ${LAB_BENCH_ROUNDS:-3}; r++)); do
    need_cp full
    for fw in bios uefi; do check "bench dragonfly $fw #$r" bench_boot dragonfly "$fw" "$r"; done
    need_cp off
    ref_dhcp_start
    for fw in bios uefi; do check "bench dnsmasq $fw #$r" bench_boot dnsmasq "$fw" "$r"; done
  done
  unset DRAGONFLY_SECURE_BOOT
  CP_MODE="" # the next scenario gets a control plane with the default
}
