#!/usr/bin/env bash
# Issue 20's proof: the provision_restart scenario (control plane SIGKILLed while the install
# runs, restarted on the same data dir, the install still completes -> Ready) COUNT times in a
# row while CPU hogs load the machine. Stops at the first failure; exit 0 only if all passed.
#
#   npm run e2e:restart-under-load [-- COUNT]      (root; COUNT defaults to 10)
#
# Each run takes the lab lock (/tmp/dragonfly-lab.lock, the one every lab run holds) for
# itself only, so other labs get the lock between runs; "in a row" means no failed run in
# between. The hogs (SOAK_HOGS, default 2, busy `sh` loops) run only while a run holds the
# lock and are killed on every exit, Ctrl-C included.
# Prints one line per run (restart -> /healthz and -> DHCP/TFTP bound, run seconds, load) and a
# markdown table at the end; each run's whole log stays in SOAK_DIR (default /tmp/dfl-soak.*).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
count=${1:-10}
[[ $count =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [COUNT]  (COUNT must be a whole number >= 1, got \"$count\")" >&2; exit 2; }
[[ ${SOAK_HOGS:-2} =~ ^[0-9]+$ ]] || { echo "SOAK_HOGS must be a whole number, got \"$SOAK_HOGS\"" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (the lab's namespaces, taps and port 67)" >&2; exit 2; }
LOCK=/tmp/dragonfly-lab.lock
out=${SOAK_DIR:-$(mktemp -d /tmp/dfl-soak.XXXXXX)}
mkdir -p "$out"

hog_pids=()
start_hogs() {
  local i
  # fd 9 (the lock) closed: a hog must never keep the lab lock held
  for ((i = 0; i < ${SOAK_HOGS:-2}; i++)); do sh -c 'while :; do :; done' 9>&- & hog_pids+=($!); done
}
stop_hogs() {
  local p
  for p in "${hog_pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for p in "${hog_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  hog_pids=()
}
trap stop_hogs EXIT
trap 'exit 130' INT TERM

say() { printf '[soak %s] %s\n' "$(date +%T)" "$*" >&2; }
table=$out/table.md
printf '| run | result | restart -> /healthz (s) | restart -> DHCP/TFTP bound (s) | kill -> back (s) | run (s) | load (1 min) |\n|---|---|---|---|---|---|---|\n' >"$table"

# one_run N: the scenario once, under the lock and the hogs; appends its row to the table.
one_run() {
  local n=$1 log=$out/run-$n.log t0 rc=0 secs line up ready back load result
  exec 9>"$LOCK"
  say "run $n/$count: waiting for the lab lock"
  flock 9
  t0=$(date +%s)
  start_hogs
  say "run $n/$count: provision_restart with ${#hog_pids[@]} CPU hogs (log $log)"
  bash "$here/disk-image/run-provision.sh" provision_restart >"$log" 2>&1 9>&- || rc=$?
  load=$(cut -d' ' -f1 /proc/loadavg)
  stop_hogs
  exec 9>&- # releases the lock
  secs=$(($(date +%s) - t0))
  line=$(grep -a 'provision-restart: control plane killed' "$log" | grep -aE '\] (PASS|FAIL) ' | tail -n1 || true)
  up=$(grep -oE '/healthz after [0-9.]+' <<<"$line" | grep -oE '[0-9.]+$' || echo -)
  ready=$(grep -oE 'DHCP/TFTP after [0-9.]+' <<<"$line" | grep -oE '[0-9.]+$' || echo -)
  back=$(grep -oE 'back after [0-9.]+' <<<"$line" | grep -oE '[0-9.]+$' || echo -)
  # A pass is the whole scenario through to Ready (a skipped scenario, e.g. no agent image, is not one).
  if [ "$rc" = 0 ] && grep -aqE '\] PASS provision-restart: Ready ' "$log"; then result=PASS; else result=FAIL; fi
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$result" "$up" "$ready" "$back" "$secs" "$load" >>"$table"
  say "run $n/$count: $result in ${secs}s; restart -> /healthz ${up}s, -> DHCP/TFTP ${ready}s, kill -> back ${back}s; load $load"
  if [ "$result" = FAIL ]; then
    say "run $n failed (exit $rc); the end of its log:"
    grep -aE 'FATAL|FAIL|checks,' "$log" | tail -n 8 >&2 || true
    return 1
  fi
}

passed=0
for ((n = 1; n <= count; n++)); do
  one_run "$n" || break
  passed=$n
done
echo
cat "$table"
echo
say "$passed of $count runs passed in a row under ${SOAK_HOGS:-2} CPU hogs; logs in $out"
[ "$passed" = "$count" ]
