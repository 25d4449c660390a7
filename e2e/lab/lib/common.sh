# Shared constants and helpers of the virtual PXE lab. Sourced by run.sh, cleanup.sh and scenarios.
# Every name created here starts with "dfl" (namespaces dfl-*, links dfl*) so cleanup can find it.

LAB_REPO=${LAB_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
# Where run.sh records the current lab directory, so cleanup.sh (run by hand) finds it.
LAB_POINTER=/tmp/dfl-lab.current

NS_SRV=dfl-srv   # the control plane, bridges dflbr0 (provisioning) and dflbr1 (must stay silent), taps
NS_DNS=dfl-dns   # dnsmasq: the "site DHCP server" of the proxy scenario
NS_CLI0=dfl-cli0 # a DHCP client host on dflbr0
NS_CLI1=dfl-cli1 # a DHCP client host on dflbr1
LAB_NAMESPACES=("$NS_SRV" "$NS_DNS" "$NS_CLI0" "$NS_CLI1")

BR0=dflbr0 BR1=dflbr1
SRV_IP=10.98.0.1 NET0=10.98.0 # dflbr0 10.98.0.0/24
SRV1_IP=10.98.1.1 NET1=10.98.1 # dflbr1 10.98.1.0/24
DNS_IP=10.98.0.2
CP_PORT=8080
CP_URL=http://127.0.0.1:$CP_PORT # as seen from inside $NS_SRV
FULL_RANGE=$NET0.100-$NET0.199
PROXY_SITE_RANGE=$NET0.50,$NET0.90 # dnsmasq's pool in the proxy scenario

log() { printf '[lab %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
now() { date +%s.%N; }
# seconds between two `now` values, one decimal
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
in_srv() { ip netns exec "$NS_SRV" "$@"; }

# --- results: one TSV line per check: name, PASS|FAIL|SKIP, seconds, note -------------------
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >>"$LAB_DIR/results.tsv"; log "$2 $1 (${3}s) ${4:-}"; }

# check NAME COMMAND...: runs the command, times it, records PASS/FAIL. Never aborts the run.
check() {
  local name=$1; shift
  local t0 rc note_file="$LAB_DIR/note.$$"
  t0=$(now)
  : >"$note_file"
  set +e
  NOTE_FILE=$note_file "$@"
  rc=$?
  set -e
  local secs; secs=$(elapsed "$t0" "$(now)")
  if [ $rc -eq 0 ]; then LAST_CHECK=PASS; else LAST_CHECK=FAIL; fi
  record "$name" "$LAST_CHECK" "$secs" "$(tail -n1 "$note_file")"
  rm -f "$note_file"
  return 0
}
# note TEXT: a short line shown in the summary next to the check that is running.
note() { [ -n "${NOTE_FILE:-}" ] && printf '%s\n' "$*" >>"$NOTE_FILE"; log "  $*"; }
# passed: the last check passed (scenarios skip what depends on a failed step).
passed() { [ "${LAST_CHECK:-}" = PASS ]; }
skip() { record "$1" SKIP 0 "$2"; }

summary() {
  local f="$LAB_DIR/results.tsv" fails
  [ -f "$f" ] || { log "no checks ran"; return 1; }
  printf '\n%-34s %-6s %8s  %s\n' CHECK RESULT SECONDS NOTE
  printf '%-34s %-6s %8s  %s\n' ---------------------------------- ------ -------- ----
  while IFS=$'\t' read -r n r s t; do printf '%-34s %-6s %8s  %s\n' "$n" "$r" "$s" "$t"; done <"$f"
  fails=$(awk -F'\t' '$2 == "FAIL"' "$f" | wc -l)
  printf '\n%d checks, %d failed\n' "$(wc -l <"$f")" "$fails"
  [ "$fails" -eq 0 ]
}
