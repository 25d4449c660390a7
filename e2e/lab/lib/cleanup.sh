# Tear down everything the lab created. Safe to run twice and on a half-built lab:
# every step tolerates "already gone".

# stop_pidfile FILE [SECONDS]: TERM the process named in FILE, KILL it if it lingers.
stop_pidfile() {
  local f=$1 wait=${2:-5} pid i
  [ -s "$f" ] || return 0
  pid=$(cat "$f" 2>/dev/null) || return 0
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  kill -TERM "$pid" 2>/dev/null || { rm -f "$f"; return 0; }
  for ((i = 0; i < wait * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$f"
}

lab_cleanup() {
  local dir=${1:-${LAB_DIR:-}} f pid
  [ -z "$dir" ] && [ -s "$LAB_POINTER" ] && dir=$(cat "$LAB_POINTER")
  if [ -n "$dir" ] && [ -d "$dir" ]; then
    # VMs first (they hold the taps), then the control plane, dnsmasq and captures.
    for f in "$dir"/vm-*/qemu.pid "$dir"/*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
  fi
  # Anything still running inside the lab's namespaces was started by the lab: stop it by pid.
  for pid in $(lab_ns_pids); do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 0.3
  for pid in $(lab_ns_pids); do kill -KILL "$pid" 2>/dev/null || true; done
  lab_network_down
  if [ -n "$dir" ] && [ -d "$dir" ]; then
    if [ -n "${LAB_ARTIFACTS:-}" ]; then mkdir -p "$LAB_ARTIFACTS" && cp -r "$dir"/. "$LAB_ARTIFACTS"/ 2>/dev/null || true; fi
    case "$dir" in /tmp/dfl-lab.*) rm -rf "$dir" ;; esac
  fi
  [ -s "$LAB_POINTER" ] && [ "$(cat "$LAB_POINTER")" = "$dir" ] && rm -f "$LAB_POINTER"
  return 0
}
