# Starting a lab server and knowing that the instance that answers is the one just started
# (issue 20: a restarted control plane was taken as up because the wait read the banner the
# killed instance had left in the same log).
#   - fresh_log: each start gets its own empty log, created BEFORE the process is spawned
#     (a `>log` in the background child truncates only once the child runs; a parent that
#     polls the file first reads the old instance's lines). Earlier logs are kept as LOG.N.
#   - wait_http_up / wait_udp_bound: the new process's own pid must be alive AND own the
#     listening socket, and the deadline ends in an error that names what did not come up,
#     with the tail of that process's own log.
# On failure they return 1 and leave the reason in READY_ERR; callers `die` or `note` it.

# fresh_log FILE: moves an existing FILE aside to FILE.1, FILE.2, ... and creates FILE empty.
fresh_log() {
  local f=$1 n=1
  if [ -e "$f" ]; then
    while [ -e "$f.$n" ]; do n=$((n + 1)); done
    mv "$f" "$f.$n"
  fi
  : >"$f"
}

# socket_owner NS tcp|udp PORT: pid(s) of the process(es) with a listening socket on PORT in NS.
socket_owner() {
  local flag=-Hltnp; [ "$2" = udp ] && flag=-Hlunp
  ip netns exec "$1" ss "$flag" "sport = :$3" 2>/dev/null | grep -oE 'pid=[0-9]+' | cut -d= -f2 | sort -u | paste -sd' ' -
}

# log_tail FILE: its last lines on one line, for an error message.
log_tail() { tr -d '\r' 2>/dev/null <"$1" | grep -a . | tail -n "${2:-6}" | paste -sd'|' - | cut -c1-600; }

# wait_http_up WHAT PID LOG NS URL [TIMEOUT]: waits until the process PID (started by the
# caller, logging to LOG) owns the TCP listener of URL's port in NS and URL/healthz answers
# {"ok":true}. Sets READY_SECS (seconds waited). TIMEOUT defaults to LAB_START_TIMEOUT or 90.
wait_http_up() {
  local what=$1 pid=$2 log=$3 ns=$4 url=$5 timeout=${6:-${LAB_START_TIMEOUT:-90}}
  local port=${url##*:} t0 end owner
  port=${port%%/*}
  t0=$(now) end=$(($(date +%s) + timeout))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      READY_ERR="$what (pid $pid) exited before it answered $url/healthz; its log: $(log_tail "$log")"
      return 1
    fi
    owner=$(socket_owner "$ns" tcp "$port")
    if [ -n "$owner" ] && [ "$owner" != "$pid" ]; then
      READY_ERR="TCP port $port in $ns is held by pid $owner, not by the new $what (pid $pid): an earlier instance still runs"
      return 1
    fi
    if [ "$owner" = "$pid" ] && ip netns exec "$ns" curl -fsS -m 5 "$url/healthz" 2>/dev/null | grep -q '"ok":true'; then
      READY_SECS=$(elapsed "$t0" "$(now)")
      return 0
    fi
    if [ "$(date +%s)" -ge "$end" ]; then
      READY_ERR="$what (pid $pid) did not answer $url/healthz within ${timeout}s (listener: ${owner:-none}); its log: $(log_tail "$log")"
      return 1
    fi
    sleep 0.2
  done
}

# wait_udp_bound WHAT PID LOG NS PORT [TIMEOUT]: waits until the process PID has a UDP socket
# on PORT in NS (a DHCP or TFTP server is ready once it is bound). Sets READY_SECS.
wait_udp_bound() {
  local what=$1 pid=$2 log=$3 ns=$4 port=$5 timeout=${6:-${LAB_START_TIMEOUT:-90}} t0 end owner
  t0=$(now) end=$(($(date +%s) + timeout))
  while :; do
    kill -0 "$pid" 2>/dev/null || { READY_ERR="$what (pid $pid) exited before it bound UDP $port; its log: $(log_tail "$log")"; return 1; }
    owner=$(socket_owner "$ns" udp "$port")
    if [[ " $owner " == *" $pid "* ]]; then READY_SECS=$(elapsed "$t0" "$(now)"); return 0; fi
    if [ "$(date +%s)" -ge "$end" ]; then
      READY_ERR="$what (pid $pid) did not bind UDP $port in $ns within ${timeout}s (bound by: ${owner:-nobody}); its log: $(log_tail "$log")"
      return 1
    fi
    sleep 0.2
  done
}
