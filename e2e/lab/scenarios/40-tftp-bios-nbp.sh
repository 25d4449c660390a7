# The BIOS TFTP path. QEMU's NIC ROMs are already iPXE (they never fetch undionly.kpxe) and
# SeaBIOS has no PXE client of its own, so a VM cannot show it; instead a client host on
# dflbr0 fetches undionly.kpxe with the options iPXE/PXE ROMs send (blksize, tsize) and the
# bytes must equal the file Dragonfly ships.
SCENARIOS+=(tftp_bios_nbp)

CLI0_IP=$NET0.250

check_tftp_undionly() {
  local out=$LAB_DIR/undionly.kpxe
  ip -n "$NS_CLI0" addr replace "$CLI0_IP/24" dev dflvc01
  rm -f "$out"
  ip netns exec "$NS_CLI0" atftp --option "blksize 1432" --option "tsize 0" -g -r undionly.kpxe -l "$out" "$SRV_IP" 69 \
    >"$LAB_DIR/atftp.log" 2>&1 || { note "atftp failed: $(tr '\n' ' ' <"$LAB_DIR/atftp.log")"; return 1; }
  cmp -s "$out" "$LAB_REPO/assets/ipxe/undionly.kpxe" || { note "undionly.kpxe differs from assets/ipxe/undionly.kpxe"; return 1; }
  note "undionly.kpxe $(stat -c %s "$out") bytes over TFTP (blksize 1432), identical"
}

scenario_tftp_bios_nbp() {
  need_cp full
  check "tftp: undionly.kpxe to a client" check_tftp_undionly
}
