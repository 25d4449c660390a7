#!/usr/bin/env bash
# The virtual PXE lab: real firmware (SeaBIOS + iPXE ROM, OVMF PXE) in QEMU booting against
# `dragonfly serve` inside network namespaces. Needs root. One command: npm run e2e:lab
#
# Environment:
#   LAB_SCENARIOS="bios_ipxe proxy"  run only these (default: every scenarios/*.sh, in order)
#   LAB_RA=0                         no IPv6 router advertisements (shows iPXE's ~13 s wait)
#   LAB_AGENT=0                      skip the agent registration checks
#   LAB_REQUIRE_AGENT=1              fail (not skip) the registration checks when dist/agent-image is missing
#   LAB_AGENT_TIMEOUT=300            seconds to wait for an agent to register
#   LAB_ARTIFACTS=DIR                copy logs, serial consoles and captures there before cleanup
#
# Everything it creates is named dfl* (namespaces dfl-srv, dfl-dns, dfl-cli0, dfl-cli1; links
# dflbr0, dflbr1, dfltap0-3, dflv*) and is removed on exit, also on failure or Ctrl-C.
# By hand: bash e2e/lab/cleanup.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/common.sh"
source "$here/lib/net.sh"
source "$here/lib/cleanup.sh"
source "$here/lib/vm.sh"
source "$here/lib/ready.sh"
source "$here/lib/services.sh"
source "$here/lib/boot-checks.sh"

finish() {
  local rc=$? ok=0
  trap - EXIT INT TERM
  set +e
  [ $rc -ne 0 ] && record "lab run" FAIL "$(elapsed "$LAB_T0" "$(now)")" "aborted (exit $rc); see the log above"
  if ! summary; then
    ok=1
    [ -n "${CP_LOG:-}" ] && [ -f "$CP_LOG" ] && { echo "--- control plane log (last 15 lines)"; tail -n 15 "$CP_LOG" | cut -c1-300; }
    for f in "$LAB_DIR"/vm-*/serial.log; do [ -f "$f" ] && { echo "--- $f (last 8 lines)"; tr -d '\r' <"$f" | grep -a . | tail -n 8 | cut -c1-200; }; done
  fi
  printf 'total %ss\n' "$(elapsed "$LAB_T0" "$(now)")"
  lab_cleanup "$LAB_DIR"
  exit $((rc != 0 ? rc : ok))
}

# The whole run is one function, so bash has parsed all of it before it starts (editing this
# file during a run cannot break the run).
main() {
  [ "$(id -u)" = 0 ] || die "the lab needs root (network namespaces, taps, port 67)"

  # A previous run that was killed hard may have left its lab behind.
  if [ -s "$LAB_POINTER" ] || ip netns list | grep -qE '^dfl-'; then
    log "removing what an earlier run left behind"
    lab_cleanup
  fi

  LAB_DIR=$(mktemp -d /tmp/dfl-lab.XXXXXX)
  export LAB_DIR
  echo "$LAB_DIR" >"$LAB_POINTER"
  : >"$LAB_DIR/results.tsv"
  LAB_T0=$(now)
  trap finish EXIT
  trap 'exit 130' INT TERM

  log "installing Debian packages (if missing)"
  bash "$LAB_REPO/.ci/apt-packages.sh" >&2

  if [ "${LAB_AGENT:-1}" = 0 ]; then log "LAB_AGENT=0: agent registration checks skipped"
  elif agent_image_snapshot; then log "agent image: $(node -e 'const m=require(process.argv[1]); console.log(m.kernel, m.initramfsBytes, "bytes initramfs")' "$LAB_DIR/agent-image/manifest.json")"
  else log "no complete agent image in $AGENT_DIR (npm run build:agent): the VMs stop at the script"
  fi

  lab_network_up
  if [ "${LAB_RA:-1}" = 1 ]; then ra_start; else log "LAB_RA=0: no IPv6 router advertisements"; fi

  SCENARIOS=()
  for f in "$here"/scenarios/*.sh; do source "$f"; done
  wanted=(${LAB_SCENARIOS:-${SCENARIOS[@]}})
  for s in "${wanted[@]}"; do
    declare -F "scenario_$s" >/dev/null || die "no scenario \"$s\" (have: ${SCENARIOS[*]})"
    log "=== scenario $s"
    "scenario_$s" || log "scenario $s ended early (exit $?)"
  done
}

main "$@"
