# Issue 12 point 5, its lab proof: `dragonfly serve` runs as uid 1000 with no capabilities at
# all, dragonfly-privhelper runs as root and binds only UDP 67/69 on dflbr0 (and 68 for the
# few seconds of the existing-DHCP probe, which finds no other server), and a BIOS VM
# still goes DHCP -> script -> agent, registered; undionly.kpxe still comes over TFTP (port 69
# through the helper, the transfer from an ephemeral port of the unprivileged server).
# cp_start is used as it is: a `node` wrapper first on PATH runs the dragonfly commands it
# starts as uid 1000 (anything else, e.g. the api assertions, stays root). The scenario stops
# its control plane at the end; the next scenario starts a root one (need_cp).
SCENARIOS+=(unprivileged)

UNPRIV_UID=1000
UNPRIV_MAC=52:54:00:98:00:81
UNPRIV_DROP="setpriv --reuid=$UNPRIV_UID --regid=$UNPRIV_UID --clear-groups --inh-caps=-all --bounding-set=-all"

# unpriv_node_wrapper DIR: writes DIR/node; dragonfly commands get their --data-dir handed to
# uid 1000 and run as that user, with the helper's socket in DRAGONFLY_PRIV_HELPER.
unpriv_node_wrapper() {
  mkdir -p "$1"
  cat >"$1/node" <<EOF
#!/bin/bash
case "\${1:-}" in */bin/dragonfly.mjs) ;; *) exec "$(command -v node)" "\$@" ;; esac
a=("\$@")
for ((i = 0; i < \${#a[@]}; i++)); do [ "\${a[i]}" = --data-dir ] && chown -R $UNPRIV_UID:$UNPRIV_UID "\${a[i+1]}"; done
exec $UNPRIV_DROP env HOME="$LAB_DIR/unpriv-home" DRAGONFLY_PRIV_HELPER="unix:$LAB_DIR/privhelper.sock" "$(command -v node)" "\$@"
EOF
  chmod 755 "$1/node"
}

privhelper_start() {
  rm -f "$LAB_DIR/privhelper.log"
  in_srv node "$LAB_REPO/bin/dragonfly-privhelper.mjs" --listen "$LAB_DIR/privhelper.sock" \
    --owner "$UNPRIV_UID:$UNPRIV_UID" --interface "$BR0" >"$LAB_DIR/privhelper.log" 2>&1 &
  echo $! >"$LAB_DIR/privhelper.pid"
  local i
  for ((i = 0; i < 60; i++)); do
    grep -qs 'listening on' "$LAB_DIR/privhelper.log" && return 0
    sleep 0.5
  done
  die "dragonfly-privhelper did not start: $(cat "$LAB_DIR/privhelper.log")"
}

# The control plane's process is uid 1000 with every capability set empty, says in its log
# that the helper binds UDP 67 for it, and the helper bound exactly 67 and 69 on dflbr0, and 68
# for the probe only (closed again before full mode started).
ck_unpriv_identity() {
  local pid st
  pid=$(cat "$LAB_DIR/cp.pid")
  st=$(cat "/proc/$pid/status") || { note "control plane (pid $pid) not running"; return 1; }
  grep -qE "^Uid:\s+$UNPRIV_UID\s+$UNPRIV_UID\s+$UNPRIV_UID\s+$UNPRIV_UID$" <<<"$st" || { note "serve is not uid $UNPRIV_UID: $(grep ^Uid <<<"$st")"; return 1; }
  local cap
  for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
    grep -qE "^$cap:\s+0+$" <<<"$st" || { note "serve has capabilities: $(grep "^$cap" <<<"$st")"; return 1; }
  done
  grep -q 'this user may not bind ports below 1024, so the helper at unix:' "$CP_LOG" || { note "serve.log does not say the helper binds UDP 67"; return 1; }
  local bound; bound=$(grep -oE '(bound|closed) UDP [0-9]+ on [a-z0-9]+( for the existing-DHCP probe)?' "$LAB_DIR/privhelper.log" | sort | tr '\n' ',')
  [ "$bound" = "bound UDP 67 on $BR0,bound UDP 68 on $BR0 for the existing-DHCP probe,bound UDP 69 on $BR0,closed UDP 68 on $BR0 for the existing-DHCP probe," ] || { note "helper bound: $bound"; return 1; }
  note "serve pid $pid: uid $UNPRIV_UID, no capabilities; helper: $bound"
}

scenario_unprivileged() {
  cp_stop
  CP_MODE=""
  site_dhcp_stop
  chmod 711 "$LAB_DIR" # uid 1000 must reach its data directory inside
  mkdir -p "$LAB_DIR/unpriv-home" && chown "$UNPRIV_UID:$UNPRIV_UID" "$LAB_DIR/unpriv-home"
  [ -d "$LAB_DIR/cp-full" ] && mv "$LAB_DIR/cp-full" "$LAB_DIR/cp-full.root" # a root instance's data, kept apart
  unpriv_node_wrapper "$LAB_DIR/unpriv-bin"
  privhelper_start
  local saved_path=$PATH
  PATH="$LAB_DIR/unpriv-bin:$PATH" cp_start full
  PATH=$saved_path
  check "unprivileged: serve as uid $UNPRIV_UID, helper binds 67/69" ck_unpriv_identity
  check "unprivileged: tftp undionly.kpxe via helper" check_tftp_undionly
  boot_vm unpriv-bios bios dfltap0 "$UNPRIV_MAC" -m 1536
  check "unprivileged: dhcp->script" check_script_boot unpriv-bios bios dhcp,script full
  if passed && has_agent_image; then
    check "unprivileged: registered" check_registered unpriv-bios bios 1 1536
  else
    agent_unavailable "unprivileged: registered"
  fi
  vm_stop unpriv-bios
  cp_stop
  stop_pidfile "$LAB_DIR/privhelper.pid" 5
  mv "$LAB_DIR/cp-full" "$LAB_DIR/cp-unprivileged"
  [ -d "$LAB_DIR/cp-full.root" ] && mv "$LAB_DIR/cp-full.root" "$LAB_DIR/cp-full"
  return 0
}
