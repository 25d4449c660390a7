# The control plane (run INSIDE $NS_SRV, bound to dflbr0), dnsmasq as the site DHCP server,
# dnsmasq as the IPv6 router advertiser, and the agent image snapshot.

AGENT_DIR=$LAB_REPO/dist/agent-image

# The agent image is usable when its manifest's sizes match the files (a half-written image,
# e.g. during a rebuild, fails this). Then a snapshot is taken, so a rebuild during the run
# cannot hand a VM a truncated initramfs: the control plane sees the snapshot through a bind
# mount in its own mount namespace (ip netns exec gives it one).
agent_image_snapshot() {
  local m=$AGENT_DIR/manifest.json want_i want_k
  [ -f "$m" ] && [ -f "$AGENT_DIR/vmlinuz" ] && [ -f "$AGENT_DIR/initramfs.img" ] || return 1
  want_i=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).initramfsBytes)' "$m")
  want_k=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).vmlinuzBytes)' "$m")
  [ "$(stat -c %s "$AGENT_DIR/initramfs.img")" = "$want_i" ] && [ "$(stat -c %s "$AGENT_DIR/vmlinuz")" = "$want_k" ] || return 1
  mkdir -p "$LAB_DIR/agent-image"
  cp "$AGENT_DIR"/vmlinuz "$AGENT_DIR"/initramfs.img "$AGENT_DIR"/manifest.json "$LAB_DIR/agent-image/"
  [ "$(stat -c %s "$LAB_DIR/agent-image/initramfs.img")" = "$want_i" ]
}
has_agent_image() { [ -f "$LAB_DIR/agent-image/initramfs.img" ]; }

# cp_start full|proxy|off|unconfigured: its data directory, an API token made before its first
# start, then `dragonfly serve` on dflbr0 inside $NS_SRV (unconfigured: no interface, DHCP mode or
# advertise address at all, as on a fresh laptop). Ready = the NEW process answers /healthz on
# its own listener (lib/ready.sh), then reports TFTP and DHCP bound in /api/v1/status (nothing to
# bind when unconfigured). Dies with what did not come up and the tail of this start's own log.
# Sets CP_UP_SECS (spawn -> /healthz) and CP_READY_SECS (spawn -> DHCP/TFTP bound).
cp_start() {
  local mode=$1 d="$LAB_DIR/cp-$1" pid t0
  local old; old=$(cat "$LAB_DIR/cp.pid" 2>/dev/null || true)
  [ -n "$old" ] && kill -0 "$old" 2>/dev/null && die "an earlier control plane (pid $old) still runs; stop it before starting another"
  mkdir -p "$d/data"
  # A restart on the same data dir keeps the token made before the first start (as an
  # operator's would): making one costs 10-20 s of CLI start under load, and spent between
  # a kill and the restart it stretched provision_restart's outage past the agent's download
  # retries (5 retries, 1+2+4+8+16 s: agent/actions/image2disk.ts).
  [ -s "$d/token" ] || node "$LAB_REPO/bin/dragonfly.mjs" tokens create lab --data-dir "$d/data" >"$d/token"
  LAB_TOKEN=$(tail -n1 "$d/token")
  export LAB_TOKEN
  local mount_agent=':'
  has_agent_image && mount_agent="mount --bind '$LAB_DIR/agent-image' '$AGENT_DIR'"
  local range=()
  [ "$mode" = full ] && range=(--dhcp-range "$FULL_RANGE")
  CP_LOG=$d/serve.log
  fresh_log "$CP_LOG"
  local netargs=(--interface "$BR0" --dhcp-mode "$mode" "${range[@]}" --advertise-address "$SRV_IP")
  [ "$mode" = unconfigured ] && netargs=()
  t0=$(now)
  # `ip netns exec` and `sh -c '... exec'` both exec: $! is the control plane's own pid.
  ip netns exec "$NS_SRV" sh -c "$mount_agent && exec \"\$@\"" cp \
    node "$LAB_REPO/bin/dragonfly.mjs" serve --data-dir "$d/data" --http-port "$CP_PORT" --listen 0.0.0.0 \
    "${netargs[@]}" --tftp-port 69 \
    --log-level debug >>"$CP_LOG" 2>&1 &
  pid=$!
  echo "$pid" >"$LAB_DIR/cp.pid"
  wait_http_up "control plane ($mode)" "$pid" "$CP_LOG" "$NS_SRV" "$CP_URL" || die "$READY_ERR"
  CP_UP_SECS=$READY_SECS
  cp_wait_services "$mode" "$pid" "$d/status.json"
  CP_READY_SECS=$(elapsed "$t0" "$(now)")
  log "control plane ($mode, pid $pid) answering after ${CP_UP_SECS}s, DHCP/TFTP bound after ${CP_READY_SECS}s: $(cat "$d/status.json")"
  local want="$mode on $BR0"
  [ "$mode" = off ] && want=off
  [ "$mode" = unconfigured ] && want='off: no provisioning interface chosen'
  grep -q "\"dhcp\":{\"ok\":true,\"detail\":\"$want" "$d/status.json" || die "DHCP is not \"$want\": $(cat "$d/status.json")"
  [ "$mode" = unconfigured ] && return 0
  grep -q "\"tftp\":{\"ok\":true,\"detail\":\"$SRV_IP:69\"" "$d/status.json" || die "TFTP is not on $SRV_IP:69: $(cat "$d/status.json")"
}

# cp_wait_services MODE PID OUT: /healthz is liveness only. The control plane listens on HTTP
# BEFORE it binds TFTP and DHCP (core/app/control-plane.ts; full mode first listens ~3 s for
# another DHCP server), and until then /api/v1/status says both are {"ok":true,"detail":"off"}.
# TFTP is started first and DHCP second, and each health is set once its start has finished:
# ready = TFTP's detail is no longer "off" and (unless MODE is off) neither is DHCP's.
cp_wait_services() {
  local mode=$1 pid=$2 out=$3 status dhcp tftp end=$(($(date +%s) + ${LAB_START_TIMEOUT:-90}))
  while :; do
    kill -0 "$pid" 2>/dev/null || die "control plane ($mode, pid $pid) exited before DHCP/TFTP were up; its log: $(log_tail "$CP_LOG")"
    status=$(in_srv curl -fsS -m 5 -H "Authorization: Bearer $LAB_TOKEN" "$CP_URL/api/v1/status" 2>/dev/null) || status=""
    dhcp=$(grep -oE '"dhcp":\{[^}]*\}' <<<"$status" || true)
    tftp=$(grep -oE '"tftp":\{[^}]*\}' <<<"$status" || true)
    [[ $dhcp$tftp == *'"ok":false'* ]] && die "control plane ($mode, pid $pid) could not start DHCP/TFTP: $dhcp $tftp"
    # unconfigured: no interface, so nothing is ever bound; the status answering is the readiness.
    if [ -n "$tftp" ] && { [ "$mode" = unconfigured ] || { [[ $tftp != *'"detail":"off"'* ]] && { [ "$mode" = off ] || [[ $dhcp != *'"detail":"off"'* ]]; }; }; }; then
      printf '%s\n' "$status" >"$out"
      return 0
    fi
    [ "$(date +%s)" -lt "$end" ] || die "control plane ($mode, pid $pid) answers /healthz but DHCP/TFTP were not bound within ${LAB_START_TIMEOUT:-90}s: ${status:-no /api/v1/status answer}; its log: $(log_tail "$CP_LOG")"
    sleep 0.3
  done
}
cp_stop() { stop_pidfile "$LAB_DIR/cp.pid" 10; }

# api COMMAND ARGS...: the TypeScript assertions (e2e/lab/api.ts), run inside $NS_SRV.
api() { ip netns exec "$NS_SRV" env LAB_TOKEN="$LAB_TOKEN" LAB_API_URL="$CP_URL" node --import tsx "$LAB_REPO/e2e/lab/api.ts" "$@"; }

# The "site" DHCP server of the proxy scenario: dnsmasq, DHCP only (--port=0: no DNS).
site_dhcp_start() {
  fresh_log "$LAB_DIR/site-dhcp.log"
  fresh_log "$LAB_DIR/site-dhcp.out"
  ip netns exec "$NS_DNS" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-hosts --no-resolv --port=0 \
    --interface=dflvdns1 --bind-interfaces --dhcp-range="$PROXY_SITE_RANGE,255.255.255.0,1h" --no-ping \
    --dhcp-leasefile="$LAB_DIR/site-dhcp.leases" --log-dhcp --log-facility="$LAB_DIR/site-dhcp.log" \
    >>"$LAB_DIR/site-dhcp.out" 2>&1 &
  echo $! >"$LAB_DIR/site-dhcp.pid"
  wait_udp_bound "dnsmasq (site DHCP)" $! "$LAB_DIR/site-dhcp.out" "$NS_DNS" 67 || die "$READY_ERR"
}
site_dhcp_stop() { stop_pidfile "$LAB_DIR/site-dhcp.pid"; }

# IPv6 router advertisements on dflbr0 (dnsmasq, RA only: no DHCPv4/v6, no DNS). Without
# them every iPXE waits about 13 s on IPv6 autoconfiguration before it fetches its script.
ra_start() {
  ip netns exec "$NS_SRV" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-hosts --no-resolv --port=0 \
    --interface="$BR0" --bind-interfaces --enable-ra --dhcp-range=::,constructor:"$BR0",ra-only \
    --log-facility="$LAB_DIR/ra.log" >"$LAB_DIR/ra.out" 2>&1 &
  echo $! >"$LAB_DIR/ra.pid"
}

# need_cp full|proxy|off: makes sure the control plane runs in that mode (restarting it if not).
# Full mode must not see another DHCP server (it would fall back to proxy), so the site
# DHCP server runs only while the control plane is in proxy mode.
CP_MODE=""
need_cp() {
  [ "$CP_MODE" = "$1" ] && return 0
  cp_stop
  stop_pidfile "$LAB_DIR/ref-dhcp.pid" # the bench's reference server, if it ran
  if [ "$1" = proxy ]; then site_dhcp_start; else site_dhcp_stop; fi
  cp_start "$1"
  CP_MODE=$1
}
