#!/usr/bin/env bash
# Removes whatever a lab run left behind (VMs, control plane, dnsmasq, namespaces dfl-*,
# bridges, taps, its temp directory). Safe to run at any time and more than once.
#   sudo bash e2e/lab/cleanup.sh [LAB_DIR]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/common.sh"
source "$here/lib/net.sh"
source "$here/lib/cleanup.sh"
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
lab_cleanup "${1:-}"
left=$(ip netns list | awk '{print $1}' | grep -E '^dfl-' || true)
[ -z "$left" ] || die "namespaces still present: $left"
log "lab cleaned up"
