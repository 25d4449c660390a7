#!/usr/bin/env bash
# The provisioning scenarios (e2e/lab/scenarios/provision.sh) in a lab of their own, so they
# can run while the main lab (e2e/lab/run.sh, names dfl-*) is busy. Same libraries, other
# names: namespace dfp-srv, bridge dfpbr0 (10.97.0.0/24), taps dfptap0-3, veth dfpv0 (peer dfpv1 in namespace dfp-port), dir /tmp/dfp-lab.*.
# Needs root.
#   sudo bash e2e/lab/disk-image/run-provision.sh [provision_bios provision_uefi provision_retry provision_restart provision_burnin | zero_touch]
# Everything it creates is removed on exit, also on failure or Ctrl-C.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lab=$(cd "$here/.." && pwd)
source "$lab/lib/common.sh"
NS_SRV=dfp-srv
NS_PORT=dfp-port # holds the far end of the bridge's keep-alive veth, nothing else
LAB_NAMESPACES=("$NS_SRV" "$NS_PORT")
BR0=dfpbr0
SRV_IP=10.97.0.1 NET0=10.97.0
FULL_RANGE=$NET0.100-$NET0.199
LAB_POINTER=/tmp/dfp-lab.current
PROV_TAP_A=dfptap0 PROV_TAP_B=dfptap1
source "$lab/lib/net.sh"
source "$lab/lib/cleanup.sh"
source "$lab/lib/vm.sh"
source "$lab/lib/ready.sh"
source "$lab/lib/services.sh"
source "$lab/lib/boot-checks.sh"
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, taps, port 67)"

dfp_cleanup() {
  local dir=$1
  lab_cleanup "$dir"
  local ns
  for ns in "$NS_SRV" "$NS_PORT"; do ip netns list | awk '{print $1}' | grep -qx "$ns" && ip netns del "$ns" || true; done
  case "$dir" in /tmp/dfp-lab.*) rm -rf "$dir" ;; esac
  rm -f "$LAB_POINTER"
}
[ -s "$LAB_POINTER" ] && { log "removing what an earlier run left behind"; dfp_cleanup "$(cat "$LAB_POINTER")"; }
for ns in "$NS_SRV" "$NS_PORT"; do ip netns list | awk '{print $1}' | grep -qx "$ns" && ip netns del "$ns" || true; done

LAB_DIR=$(mktemp -d /tmp/dfp-lab.XXXXXX)
export LAB_DIR
echo "$LAB_DIR" >"$LAB_POINTER"
: >"$LAB_DIR/results.tsv"
LAB_T0=$(now)
finish() {
  local rc=$? ok=0
  trap - EXIT INT TERM
  set +e
  summary || ok=1
  if [ $ok -ne 0 ] || [ $rc -ne 0 ]; then
    [ -n "${CP_LOG:-}" ] && [ -f "$CP_LOG" ] && { echo "--- control plane log (last 15 lines)"; tail -n 15 "$CP_LOG" | cut -c1-300; }
    for f in "$LAB_DIR"/vm-*/serial.log; do [ -f "$f" ] && { echo "--- $f (last 8 lines)"; tr -d '\r' <"$f" | grep -a . | tail -n 8 | cut -c1-200; }; done
  fi
  printf 'total %ss\n' "$(elapsed "$LAB_T0" "$(now)")"
  if [ -n "${LAB_ARTIFACTS:-}" ]; then mkdir -p "$LAB_ARTIFACTS" && cp -r "$LAB_DIR"/. "$LAB_ARTIFACTS"/; fi
  dfp_cleanup "$LAB_DIR"
  exit $((rc != 0 ? rc : ok))
}
trap finish EXIT
trap 'exit 130' INT TERM

agent_image_snapshot || log "no complete agent image in $AGENT_DIR: the scenarios will be skipped"
# DFP_AGENT_OVERLAY=FILE: a (compressed) cpio archive appended to the snapshot's initramfs; the
# kernel unpacks it last, so its files replace the image's (e.g. a freshly bundled agent.js).
if [ -n "${DFP_AGENT_OVERLAY:-}" ] && has_agent_image; then
  cat "$DFP_AGENT_OVERLAY" >>"$LAB_DIR/agent-image/initramfs.img"
  node -e 'const fs=require("fs"),[m,i]=process.argv.slice(1),j=JSON.parse(fs.readFileSync(m));j.initramfsBytes=fs.statSync(i).size;fs.writeFileSync(m,JSON.stringify(j))' \
    "$LAB_DIR/agent-image/manifest.json" "$LAB_DIR/agent-image/initramfs.img"
  log "agent image overlaid with $DFP_AGENT_OVERLAY"
fi
new_ns "$NS_SRV"
new_bridge "$NS_SRV" "$BR0" "$SRV_IP/24"
ip -n "$NS_SRV" addr add fd97::1/64 dev "$BR0" nodad
# A bridge whose ports have no carrier is not RUNNING, and Node lists no address for it
# (the control plane then refuses the interface): a veth port whose peer is up in a namespace
# of its own keeps it up before any VM runs. Not with the peer in this namespace: every frame
# the bridge floods would come back into the server's own stack on a second interface (OVMF's
# TFTP download failed, PXE-E99, in that setup).
new_ns "$NS_PORT"
ip -n "$NS_SRV" link add dfpv0 type veth peer name dfpv1 netns "$NS_PORT"
ip -n "$NS_SRV" link set dfpv0 master "$BR0" up
ip -n "$NS_PORT" link set dfpv1 up
for i in 0 1 2 3; do # 2 and 3: the zero-touch scenario's third and fourth VM
  ip netns exec "$NS_SRV" ip tuntap add dev "dfptap$i" mode tap
  ip -n "$NS_SRV" link set "dfptap$i" master "$BR0" up
done
ra_start
log "network up: $NS_SRV ($BR0 $SRV_IP), taps dfptap0-3"

SCENARIOS=()
source "$lab/scenarios/provision.sh"
source "$lab/scenarios/provision-nic-first.sh" # ck_nic_first, run by provision_uefi
source "$lab/scenarios/provision-burnin.sh"
source "$lab/scenarios/zero-touch.sh" # scenario_zero_touch; not in the default list (npm run e2e:zero-touch)
source "$lab/scenarios/fanout.sh" # scenario_fanout_rack; not in the default list (.ci/run names it)
for s in ${*:-${SCENARIOS[@]}}; do
  declare -F "scenario_$s" >/dev/null || die "no scenario \"$s\" (have: ${SCENARIOS[*]})"
  log "=== scenario $s"
  "scenario_$s" || log "scenario $s ended early (exit $?)"
done
