# Power control, its lab proof: a BMC that really powers a VM. OpenIPMI's ipmi_sim runs inside
# the server namespace on its loopback (127.0.0.1:$IPMI_PORT, where the control plane reaches
# it); its chassis_control script (written below) starts and stops the machine
# (scenarios/ipmi-machine.ts: QEMU on $IPMI_TAP with an EMPTY disk, honouring the BMC's boot
# device at every start, including after a guest reboot). Then, through the API only:
#   credential + Hardware {MAC, spec.bmc ipmi} -> power on (POST .../power) -> the empty disk
#   falls through to PXE -> agent registers -> assign the provisioning template -> Dragonfly's
#   own IPMI driver sets next boot PXE and power-cycles -> agent images the disk -> reboot ->
#   Dragonfly sets next boot disk -> the machine starts from its disk (no iPXE at all) -> the
#   marker on serial -> it powers itself off -> Ready, and the BMC says off.
# The BMC has SOL: its `sol` device is a serial relay (scenarios/serial-relay.ts, TCP
# 127.0.0.1:IPMI_PORT+100) that every QEMU start connects to (+200), so one SOL session lasts
# across power cycles. Dragonfly records the console while the machine provisions; the scenario
# types into the console during iPXE and reads the recorded boot log back through the API.
# Nobody touches the VM: every start and stop is in the chassis log ($LAB_DIR/vm-dfi-ipmi/chassis.log),
# "bmc set ..." lines from the BMC, "machine ..." lines from the machine.
# Reuses the provisioning scenario's disk image and template (provision.sh: prov_can_run, papi).
# Leaves the installed disk for the unplugged scenario (70-unplugged.sh).
# Environment: IPMI_TAP (default dfltap1), IPMI_PORT (default 6230), PROV_TIMEOUT,
#   IPMI_MACHINE_ARGS: more ipmi-machine.ts options (--memory, --serial; the zero-touch scenario),
#   IPMI_INSTANCE: a suffix for the BMC's state dir and pidfile, so several BMCs can run at once,
#   IPMI_NO_SEED=1: a template without the writefile seed (the marker then says "unnamed"), to
#   prove the power path while the seed action is broken.
SCENARIOS+=(ipmi_power)

IPMI_VM=dfi-ipmi          # $LAB_DIR/vm-dfi-ipmi: disk, serial, chassis log, boot device
IPMI_HW=dfi-ipmi-vm       # the Hardware object's name
IPMI_MAC=52:54:00:98:00:61
IPMI_TAP=${IPMI_TAP:-dfltap1}
IPMI_PORT=${IPMI_PORT:-6230}
IPMI_CRED=dfi-bmc
IPMI_USER=admin
IPMI_SECRET=dfi$RANDOM$RANDOM # the BMC password: must never come back out of the API
IPMI_DISK_BYTES=268435456 # 256 MiB, empty

iapi() { ip netns exec "$NS_SRV" env LAB_TOKEN="$LAB_TOKEN" LAB_API_URL="${IAPI_URL:-$CP_URL}" node --import tsx "$LAB_REPO/e2e/lab/scenarios/ipmi-api.ts" "$@"; }
capi() { ip netns exec "$NS_SRV" env LAB_TOKEN="$LAB_TOKEN" LAB_API_URL="${IAPI_URL:-$CP_URL}" node --import tsx "$LAB_REPO/e2e/lab/scenarios/console-api.ts" "$@"; }
ipmitool_srv() { in_srv ipmitool -I lanplus -C 3 -H 127.0.0.1 -p "$IPMI_PORT" -U "$IPMI_USER" -P "$IPMI_SECRET" "$@"; }
ipmi_chassis_log() { echo "$(vm_dir "$IPMI_VM")/chassis.log"; }
ipmi_lines() { local f; f=$(ipmi_chassis_log); [ -f "$f" ] && wc -l <"$f" || echo 0; }
# ipmi_since N: the chassis log after line N, without timestamps, as one line.
ipmi_since() { tail -n +$(($1 + 1)) "$(ipmi_chassis_log)" 2>/dev/null | cut -d' ' -f2- | paste -sd';' | sed 's/;/; /g'; }

# ipmi_wait_log N REGEX TIMEOUT: a chassis log line after line N matches.
ipmi_wait_log() {
  local i
  for ((i = 0; i < $3 * 2; i++)); do
    tail -n +$(($1 + 1)) "$(ipmi_chassis_log)" 2>/dev/null | grep -qE "$2" && return 0
    sleep 0.5
  done
  note "chassis log never showed /$2/ within $3 s; since: $(ipmi_since "$1")"
  return 1
}

# ipmi_in_order N REGEX...: after line N the chassis log has lines matching these, in this order.
ipmi_in_order() {
  local since=$1; shift
  tail -n +$((since + 1)) "$(ipmi_chassis_log)" | awk -v pats="$(printf '%s\n' "$@")" '
    BEGIN { n = split(pats, p, "\n"); if (p[n] == "") n--; k = 1 }
    k <= n && $0 ~ p[k] { k++ }
    END { exit (k > n ? 0 : 1) }' && return 0
  note "chassis log is not in the order [$*]: $(ipmi_since "$since")"
  return 1
}

# The BMC's chassis_control program: ipmi_sim calls it as `DEV get power|boot ...` and
# `DEV set power 1|0 | reset 1 | boot pxe|default ...` (several pairs per call).
ipmi_write_chassis() {
  local d=$1 s=$2
  cat >"$s" <<EOF
#!/usr/bin/env bash
d='$d'
on() {
  alive && return 0
  cd '$LAB_REPO' || return 1
  node --import tsx e2e/lab/scenarios/ipmi-machine.ts --dir "\$d" --tap '$IPMI_TAP' --mac '$IPMI_MAC' --disk "\$d/disk.img" --serial-relay $IPMI_SERIAL_PORT ${IPMI_MACHINE_ARGS:-} </dev/null >>"\$d/machine.out" 2>&1 &
  echo \$! >"\$d/machine.pid"
}
alive() { local p; p=\$(cat "\$d/machine.pid" 2>/dev/null) && [ -n "\$p" ] && kill -0 "\$p" 2>/dev/null; }
off() {
  local p i; p=\$(cat "\$d/machine.pid" 2>/dev/null) || return 0
  kill -TERM "\$p" 2>/dev/null
  for ((i = 0; i < 100; i++)); do kill -0 "\$p" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "\$p" 2>/dev/null; then kill -KILL "\$p"; p=\$(cat "\$d/qemu.pid" 2>/dev/null) && kill -KILL "\$p" 2>/dev/null; fi
  rm -f "\$d/machine.pid"
}
dev=\$1 op=\$2; shift 2
case \$op in
get) for w in "\$@"; do
       case \$w in
       power) if alive; then echo power:1; else echo power:0; fi ;;
       boot) echo "boot:\$(cat "\$d/boot" 2>/dev/null || echo default)" ;;
       esac
     done ;;
set) while [ \$# -ge 2 ]; do
       echo "\$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) bmc set \$1 \$2" >>"\$d/chassis.log"
       case "\$1 \$2" in
       'power 1') on ;;
       'power 0') off ;;
       'reset 1') off; on ;;
       boot\ *) echo "\$2" >"\$d/boot" ;;
       esac
       shift 2
     done ;;
esac
EOF
  chmod 755 "$s"
}

# ipmi_relay_start DIR: the serial relay in $NS_SRV (ipmi_sim's SOL <-> each QEMU start); what
# reaches the machine from the BMC side is appended to DIR/typed.log.
ipmi_relay_start() {
  local d=$1 ready="$LAB_DIR/serial-relay${IPMI_INSTANCE:-}.ready" i
  rm -f "$ready"
  ip netns exec "$NS_SRV" node --import tsx "$LAB_REPO/e2e/lab/scenarios/serial-relay.ts" --bmc-port "$IPMI_SOL_PORT" \
    --machine-port "$IPMI_SERIAL_PORT" --typed "$d/typed.log" --ready "$ready" </dev/null >>"$d/relay.out" 2>&1 &
  echo $! >"$LAB_DIR/serial-relay${IPMI_INSTANCE:-}.pid"
  for ((i = 0; i < 60; i++)); do [ -s "$ready" ] && return 0; sleep 0.5; done
  note "serial relay did not start: $(tr '\n' ' ' <"$d/relay.out" | cut -c1-200)"
  return 1
}

# ipmi_start: ipmi_sim inside $NS_SRV on 127.0.0.1:$IPMI_PORT, up when ipmitool gets an answer.
ipmi_start() {
  local b="$LAB_DIR/ipmi${IPMI_INSTANCE:-}" d i p auths='none md2 md5 straight'
  d=$(vm_dir "$IPMI_VM")
  # TCP ports of the serial relay (set here: the zero-touch scenario runs several BMCs).
  IPMI_SOL_PORT=$((IPMI_PORT + 100)) IPMI_SERIAL_PORT=$((IPMI_PORT + 200))
  mkdir -p "$b/state" "$d"
  [ -f "$d/disk.img" ] || truncate -s "$IPMI_DISK_BYTES" "$d/disk.img"
  : >"$d/chassis.log"
  ipmi_relay_start "$d" || return 1
  ipmi_write_chassis "$d" "$b/chassis.sh"
  {
    echo 'name "dfi-bmc"'
    echo 'set_working_mc 0x20'
    echo '  startlan 1'
    echo "    addr 127.0.0.1 $IPMI_PORT"
    echo '    priv_limit admin'
    for p in callback user operator admin; do echo "    allowed_auths_$p $auths"; done
    echo '    guid a123456789abcdefa123456789abcdef'
    echo '  endlan'
    echo "  chassis_control \"$b/chassis.sh $IPMI_VM\""
    echo "  sol \"tcp:127.0.0.1:$IPMI_SOL_PORT\" 115200"
    echo "  user 2 true \"$IPMI_USER\" \"$IPMI_SECRET\" admin 10 $auths"
  } >"$b/lan.conf"
  printf '%s\n' 'mc_setbmc 0x20' 'mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr' \
    'sel_enable 0x20 1000 0x0a' 'mc_enable 0x20' >"$b/bmc.emu"
  ip netns exec "$NS_SRV" ipmi_sim -c "$b/lan.conf" -f "$b/bmc.emu" -s "$b/state" -n </dev/null >"$b/ipmi_sim.out" 2>&1 &
  echo $! >"$LAB_DIR/ipmi-sim${IPMI_INSTANCE:-}.pid"
  for ((i = 0; i < 20; i++)); do
    ipmitool_srv chassis power status >"$b/first-status" 2>&1 && return 0
    kill -0 "$(cat "$LAB_DIR/ipmi-sim${IPMI_INSTANCE:-}.pid")" 2>/dev/null || break
    sleep 0.5
  done
  note "ipmi_sim did not answer on 127.0.0.1:$IPMI_PORT: $(tr '\n' ' ' <"$b/ipmi_sim.out" | cut -c1-200) $(cat "$b/first-status" 2>/dev/null)"
  return 1
}

ipmi_stop() {
  local p i; p=$(cat "$(vm_dir "$IPMI_VM")/machine.pid" 2>/dev/null) && kill -TERM "$p" 2>/dev/null
  stop_pidfile "$LAB_DIR/ipmi-sim${IPMI_INSTANCE:-}.pid" 5
  [ -n "${p:-}" ] && for ((i = 0; i < 50; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  stop_pidfile "$(vm_dir "$IPMI_VM")/qemu.pid" 5
  stop_pidfile "$LAB_DIR/serial-relay${IPMI_INSTANCE:-}.pid" 5
}

ck_ipmi_bmc_up() {
  ipmi_start || return 1
  local out; out=$(ipmitool_srv chassis power status 2>&1)
  note "ipmi_sim in $NS_SRV at 127.0.0.1:$IPMI_PORT; ipmitool: $out"
  [ "$out" = 'Chassis Power is off' ]
}

ck_ipmi_api_bmc() {
  local out st
  out=$(iapi bmc --name "$IPMI_HW" --mac "$IPMI_MAC" --address "127.0.0.1:$IPMI_PORT" --credential "$IPMI_CRED" --username "$IPMI_USER" --secret "$IPMI_SECRET") || { note "$out"; return 1; }
  st=$(iapi power --name "$IPMI_HW" --action status) || { note "$st"; return 1; }
  note "$out; power status through Dragonfly: $st"
  [ "$st" = off ]
}

ck_ipmi_power_on() {
  local since out d; since=$(ipmi_lines); d=$(vm_dir "$IPMI_VM")
  out=$(iapi power --name "$IPMI_HW" --action on) || { note "$out"; return 1; }
  ipmi_wait_log "$since" 'machine start [0-9]+ boot=default' 20 || return 1
  now >"$d/started"; now >"$d/started-first"
  date -u +%Y-%m-%dT%H:%M:%S.%3NZ >"$d/started.iso"
  out=$(papi wait-state --mac "$IPMI_MAC" --state Registered --timeout "${PROV_TIMEOUT:-420}") || { note "$out; serial: $(tr -d '\r' <"$d/serial.log" | grep -a . | tail -n1 | cut -c1-100)"; return 1; }
  grep -aq 'iPXE' "$d/serial.log" || { note "registered, but no iPXE on the serial console"; return 1; }
  note "POST power on -> \"$(ipmi_since "$since" | cut -c1-120)\"; empty disk fell through to PXE; $out at $(vm_age "$IPMI_VM") s"
}

ck_ipmi_assign() {
  local since out d; since=$(ipmi_lines); d=$(vm_dir "$IPMI_VM")
  local tpl=$PROV_TEMPLATE
  if [ "${IPMI_NO_SEED:-0}" = 1 ]; then
    tpl=dfi-lab-disk-noseed
    out=$(iapi template-noseed --name "$tpl" --url "$PROV_URL" --checksum "sha256:$PROV_RAW_SHA") || { note "$out"; return 1; }
  fi
  out=$(papi assign --mac "$IPMI_MAC" --template "$tpl") || { note "$out"; return 1; }
  echo "$out" >"$d/workflow"
  ipmi_wait_log "$since" 'machine start [0-9]+ boot=pxe' 30 || return 1
  ipmi_in_order "$since" 'bmc set boot pxe' 'bmc set (power 0|reset 1)' 'machine stop' 'machine start [0-9]+ boot=pxe' || return 1
  ipmi_lines >"$d/lines-after-assign" # the install and its reboot come after this line
  note "workflow $out; chassis: $(ipmi_since "$since")"
}

# While iPXE runs (it reads the serial console for Ctrl-B and echoes nothing), an operator types a
# password-like word into the console through the API; the relay shows it reached the machine.
ck_ipmi_type_into_console() {
  local d out i secret="dfi-typed-$RANDOM$RANDOM"; d=$(vm_dir "$IPMI_VM")
  for ((i = 0; i < 120; i++)); do
    tr -d '\r' <"$d/serial.log" | awk '/^=== dfi-machine: power-on/ { s = "" } { s = s $0 "\n" } END { printf "%s", s }' | grep -q 'iPXE' && break
    sleep 0.5
  done
  # Typed later, the agent's shell would echo it (output, which the log keeps): not this check's point.
  [ "$i" -lt 120 ] || { note "iPXE never started after the last power-on"; return 1; }
  out=$(capi type --name "$IPMI_HW" --text "$secret") || { note "$out"; return 1; }
  for ((i = 0; i < 40; i++)); do grep -qF "$secret" "$d/typed.log" 2>/dev/null && break; sleep 0.5; done
  grep -qF "$secret" "$d/typed.log" 2>/dev/null || { note "$out, but it never reached the machine's serial port"; return 1; }
  echo "$secret" >"$d/typed-secret"
  note "$out during iPXE; it reached the machine's serial port (relay)"
}

ck_ipmi_installed() {
  local out d; d=$(vm_dir "$IPMI_VM")
  out=$(papi wait-phase --workflow "$(cat "$d/workflow")" --phase Succeeded --timeout "${PROV_TIMEOUT:-420}") || { note "$out"; return 1; }
  note "$out at $(vm_age "$IPMI_VM") s after the first power-on"
}

# Since the PXE start of the install: the guest reset (the reboot action), Dragonfly set next
# boot disk (on the workflow's success) BEFORE the machine started again, that start was disk first, and iPXE never ran in it.
ck_ipmi_disk_boot() {
  local d since seg host=$IPMI_HW; d=$(vm_dir "$IPMI_VM"); since=$(cat "$d/lines-after-assign")
  [ "${IPMI_NO_SEED:-0}" = 1 ] && host=unnamed
  echo "$host" >"$d/marker-host"
  ipmi_wait_log "$since" 'machine start [0-9]+ boot=default' 120 || return 1
  ipmi_in_order "$since" 'bmc set boot default' 'machine start [0-9]+ boot=default' || return 1
  ipmi_in_order "$since" 'machine guest-reset' 'machine start [0-9]+ boot=default' || return 1
  local i marked=""
  for ((i = 0; i < ${PROV_TIMEOUT:-420} * 2; i++)); do
    seg=$(tr -d '\r' <"$d/serial.log" | awk '/^=== dfi-machine: power-on/ { s = "" } { s = s $0 "\n" } END { printf "%s", s }')
    if grep -q "DRAGONFLY-LOCAL-BOOT-OK $host firmware=bios" <<<"$seg"; then
      # The marker OS prints the seed on a later line: wait up to 30 s for it, as provision.sh
      # does (breaking at the marker read a serial log caught between the two lines; ci12).
      { [ "$host" = unnamed ] || grep -q "DRAGONFLY-SEED $PROV_SEED" <<<"$seg"; } && break
      marked=${marked:-$i}
      ((i - marked >= 60)) && break
    else
      seg=""
    fi
    sleep 0.5
  done
  [ -n "$seg" ] || { note "no marker after the last power-on; serial: $(tr -d '\r' <"$d/serial.log" | grep -a . | tail -n1 | cut -c1-100)"; return 1; }
  grep -q '^=== dfi-machine: power-on, boot default' <<<"$seg" || { note "the marker came from a start that was not disk first"; return 1; }
  # The NIC's iPXE ROM always initialises; "Booting from ROM" is SeaBIOS handing it the boot.
  grep -q 'Booting from ROM' <<<"$seg" && { note "the boot after the install went to the network first"; return 1; }
  grep -q 'Booting from Hard Disk' <<<"$seg" || { note "SeaBIOS never said it booted from the disk"; return 1; }
  [ "$host" = unnamed ] || grep -q "DRAGONFLY-SEED $PROV_SEED" <<<"$seg" || { note "marker without the seed the template wrote"; return 1; }
  echo "$(vm_age "$IPMI_VM")" >"$d/marker-at"
  note "marker at $(cat "$d/marker-at") s after the first power-on, SeaBIOS went straight to the disk; chassis: $(ipmi_since "$since")"
}

ck_ipmi_ready() {
  local out st tool d; d=$(vm_dir "$IPMI_VM")
  out=$(papi wait-state --mac "$IPMI_MAC" --state Ready --timeout 60) || { note "$out"; return 1; }
  ipmi_wait_log "$(cat "$d/lines-after-assign")" 'machine guest-shutdown' 60 || return 1
  now >"$d/ready-at"
  local i
  for ((i = 0; i < 20; i++)); do # the machine's process ends a moment after the guest's poweroff
    st=$(iapi power --name "$IPMI_HW" --action status) || { note "$st"; return 1; }
    [ "$st" = off ] && break
    sleep 0.5
  done
  tool=$(ipmitool_srv chassis power status 2>&1)
  echo "$IPMI_HW" >"$d/hw"
  note "$out; the machine powered itself off: Dragonfly says $st, ipmitool says \"$tool\"; power-on -> Ready $(elapsed "$(cat "$d/started-first")" "$(cat "$d/ready-at")") s"
  [ "$st" = off ] && [ "$tool" = 'Chassis Power is off' ]
}

# The console Dragonfly recorded while the machine provisioned, read back through the API.
ck_ipmi_boot_log() {
  local d out; d=$(vm_dir "$IPMI_VM")
  out=$(capi boot-log --name "$IPMI_HW" --workflow "$(cat "$d/workflow")" --started "$(cat "$d/started.iso")" --absent "$(cat "$d/typed-secret")") || { note "$out"; return 1; }
  note "$out"
}

scenario_ipmi_power() {
  local p=ipmi-power
  if ! prov_can_run; then skip "$p: Ready via IPMI" "$PROV_WHY"; return 0; fi
  rm -rf "$(vm_dir "$IPMI_VM")"
  check "$p: BMC up (ipmitool)" ck_ipmi_bmc_up
  passed && check "$p: credential + BMC via API" ck_ipmi_api_bmc
  passed && check "$p: power on -> PXE -> registered" ck_ipmi_power_on
  passed && check "$p: assign -> next boot PXE, cycle" ck_ipmi_assign
  passed && check "$p: typed into the console (iPXE)" ck_ipmi_type_into_console
  passed && check "$p: image written" ck_ipmi_installed
  passed && check "$p: next boot disk -> marker" ck_ipmi_disk_boot
  passed && check "$p: Ready, powered off" ck_ipmi_ready
  passed && check "$p: boot log: firmware + agent, not typed" ck_ipmi_boot_log
  ipmi_stop
}
