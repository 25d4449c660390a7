# Provisioning end to end, BIOS and UEFI: a VM with an EMPTY disk PXE-boots -> the agent
# registers -> a template is assigned through the API -> the agent's image2disk writes the
# lab disk image (e2e/lab/disk-image/build.sh: GRUB + Debian kernel + a busybox initramfs
# that prints DRAGONFLY-LOCAL-BOOT-OK <name>), writefile puts a seed on its ESP -> reboot ->
# the control plane's script says "local" (BIOS sanboot 0x80, UEFI exit to the firmware) ->
# the marker and the seed are on the serial console -> Ready. Then three more power-ons: the
# script stays local and no new workflow appears.
#   provision_retry:   a wrong checksum -> Error naming both digests -> template fixed, retry -> Ready
#   provision_restart: the control plane SIGKILLed once the workflow runs, restarted on the
#                      same data dir -> the install still completes
# Environment: PROV_REBOOTS (default 3), PROV_TIMEOUT (seconds per wait, default 420),
#   PROV_RETRY_AFTER (seconds in Error before the retry, default 0).
# Every VM is named dfp-* ($LAB_DIR/vm-dfp-*); the lab's cleanup stops them.
SCENARIOS+=(provision_bios provision_uefi provision_retry provision_restart)

PROV_DISK_DIR=${LAB_DISK_DIR:-$LAB_REPO/.cache/lab-disk}
PROV_DISK_BYTES=268435456 # 256 MiB, empty
PROV_TIMEOUT=${PROV_TIMEOUT:-420}
PROV_TEMPLATE=dfp-lab-disk
PROV_BAD_TEMPLATE=dfp-lab-disk-retry
PROV_SEED=seed-$(date +%s)-$RANDOM
PROV_READY="" # set once the image is in the control plane's images dir and the template applied

# papi COMMAND ...: e2e/lab/scenarios/provision-api.ts inside $NS_SRV.
papi() { ip netns exec "$NS_SRV" env LAB_TOKEN="$LAB_TOKEN" LAB_API_URL="$CP_URL" node --import tsx "$LAB_REPO/e2e/lab/scenarios/provision-api.ts" "$@"; }

# prov_serve_disk DISK_DIR FILE TEMPLATE: the lab disk built in DISK_DIR, put in the full-mode
# control plane's images folder as FILE, so the control plane itself serves it at /images/FILE
# (never the internet), and a template TEMPLATE that writes it; prints the template's summary.
prov_serve_disk() {
  local dir=$1 file=$2 template=$3
  mkdir -p "$LAB_DIR/cp-full/data/images"
  cp "$dir/disk.raw.zst" "$LAB_DIR/cp-full/data/images/$file"
  in_srv curl -fsS -o /dev/null "$CP_URL/images/$file" || { note "the control plane does not serve /images/$file"; return 1; }
  papi template --name "$template" --url "http://$SRV_IP:$CP_PORT/images/$file" --checksum "sha256:$(cat "$dir/disk.raw.sha256")" --seed "$PROV_SEED"
}

# The lab disk and its template.
prov_prepare() {
  [ -n "$PROV_READY" ] && return 0
  bash "$LAB_REPO/e2e/lab/disk-image/build.sh" >&2 || return 1
  need_cp full
  prov_serve_disk "$PROV_DISK_DIR" disk.raw.zst "$PROV_TEMPLATE" >&2 || return 1
  PROV_RAW_SHA=$(cat "$PROV_DISK_DIR/disk.raw.sha256")
  PROV_ZST_SHA=$(cat "$PROV_DISK_DIR/disk.raw.zst.sha256")
  PROV_URL=http://$SRV_IP:$CP_PORT/images/disk.raw.zst
  PROV_READY=1
}

# prov_boot NAME bios|uefi TAP MAC: network first, then the disk. BIOS: NIC bootindex 1, disk
# bootindex 2 (SeaBIOS's order). UEFI: no QEMU boot order; OVMF's own NVRAM BootOrder decides,
# as on a real server: from the factory (empty varstore) it tries the blank disk, then PXE; after
# the install, the template's efibootorder action has made it [PXEv4, the disk, the rest].
prov_boot() {
  local d bi=",bootindex=2"; d=$(vm_dir "$1")
  mkdir -p "$d"
  [ -f "$d/disk.img" ] || truncate -s "$PROV_DISK_BYTES" "$d/disk.img"
  [ -s "$d/serial.log" ] && cp "$d/serial.log" "$d/serial.$(date +%H%M%S).log"
  local vb=1; [ "$2" = uefi ] && { vb=0; bi=""; }
  VM_BOOTINDEX=$vb boot_vm "$1" "$2" "$3" "$4" -m 1024 -smp 2 \
    -drive "if=none,id=pd,format=raw,file=$d/disk.img" -device "virtio-blk-pci,drive=pd,serial=dfp-disk$bi"
}

# prov_wait_off NAME TIMEOUT: QEMU exited (the guest rebooted or powered off; -no-reboot).
prov_wait_off() {
  local f pid i; f="$(vm_dir "$1")/qemu.pid"
  for ((i = 0; i < $2 * 2; i++)); do
    pid=$(cat "$f" 2>/dev/null || true)
    { [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; } && return 0
    sleep 0.5
  done
  note "$1 still running after $2 s; serial: $(tr -d '\r' <"$(vm_serial "$1")" | grep -a . | tail -n1 | cut -c1-100)"
  return 1
}

ck_registered() { # NAME MAC -> file NAME/hw holds the machine's name
  local out
  out=$(papi wait-state --mac "$2" --state Registered --timeout "$PROV_TIMEOUT") || { note "$out; serial: $(tr -d '\r' <"$(vm_serial "$1")" | grep -a . | tail -n1 | cut -c1-100)"; return 1; }
  echo "${out%% *}" >"$(vm_dir "$1")/hw"
  now >"$(vm_dir "$1")/registered"
  note "$out at $(vm_age "$1") s after power-on"
}
ck_assign() { # NAME MAC TEMPLATE
  local out
  out=$(papi assign --mac "$2" --template "$3") || { note "$out"; return 1; }
  echo "$out" >"$(vm_dir "$1")/workflow"
  note "workflow $out"
}
ck_installed() { # NAME: workflow Succeeded, then the agent's reboot ends QEMU
  local d out; d=$(vm_dir "$1")
  out=$(papi wait-phase --workflow "$(cat "$d/workflow")" --phase Succeeded --timeout "$PROV_TIMEOUT") || { note "$out"; return 1; }
  prov_wait_off "$1" 120 || return 1
  now >"$d/installed"
  note "$out; VM off at $(vm_age "$1") s"
}
ck_local_boot() { # NAME FW MAC [ipxe]: marker + seed on the console, the script served was "local"
  local d hw since out; d=$(vm_dir "$1"); hw=$(cat "$d/hw")
  since=$(vm_started_iso "$1")
  vm_wait_serial "$1" "DRAGONFLY-LOCAL-BOOT-OK $hw firmware=$2" "$PROV_TIMEOUT" || return 1
  local at; at=$(vm_age "$1")
  vm_wait_serial "$1" "DRAGONFLY-SEED $PROV_SEED" 30 || return 1
  # BIOS, and arm64 UEFI (4th argument ipxe: the loader is x64 only): iPXE's local script; x64
  # UEFI (Secure Boot off): our loader instead of iPXE (core/boot/uefi-local-loader.ts).
  local booted='Dragonfly: booting from the local disk' by=iPXE
  [ "$2" = uefi ] && [ "${4:-}" != ipxe ] && booted='dragonfly-localboot: starting ' by='our UEFI loader'
  grep -aq "$booted" "$(vm_serial "$1")" || { note "$by never printed its local-boot line ($booted)"; return 1; }
  # UEFI: the template's efibootorder put the disk right after the network option that booted
  # the agent, so the firmware makes exactly one network attempt (the one whose iPXE says
  # "local") and then boots the disk: no IPv6 PXE or second HTTP boot round first.
  if [ "$2" = uefi ]; then
    local tries
    tries=$(grep -aoE 'Start (PXE over IPv[46]|HTTP Boot over IPv[46])' "$(vm_serial "$1")" | paste -sd, -)
    [ -n "$tries" ] && [[ $tries != *,* ]] || { note "network boot attempts before the disk: ${tries:-none} (want exactly one: BootOrder should be [the agent's option, disk, ...])"; return 1; }
  fi
  out=$(papi local-boots --mac "$3" --since "$since") || { note "$out"; return 1; }
  [[ $out == *"local ($2)"* ]] && [[ $out != *discovery* ]] && [[ $out != *imaging* ]] || { note "scripts served since power-on: ${out:-none}"; return 1; }
  echo "$at" >"$d/marker-at"
  note "marker at ${at}s after power-on; scripts: $out"
}
ck_ready() { # MAC
  local out; out=$(papi wait-state --mac "$1" --state Ready --timeout 60) || { note "$out"; return 1; }
  note "$out"
}
ck_reboots() { # NAME FW TAP MAC: PROV_REBOOTS power-ons, each local, no new workflow
  local before after i
  before=$(papi workflows --mac "$4") || { note "$before"; return 1; }
  for ((i = 1; i <= ${PROV_REBOOTS:-3}; i++)); do
    prov_boot "$1" "$2" "$3" "$4"
    ck_local_boot "$1" "$2" "$4" || { note "power-on $i: $(tail -n1 "$NOTE_FILE")"; return 1; }
    prov_wait_off "$1" 60 || return 1
    after=$(papi workflows --mac "$4") || { note "$after"; return 1; }
    [ "$after" = "$before" ] || { note "power-on $i: $before workflow(s) became $after"; return 1; }
  done
  ck_ready "$4" >/dev/null || return 1
  note "${PROV_REBOOTS:-3} power-ons, all local, still $before workflow(s), still Ready"
}

# ck_floor NAME FW: the installed disk (a copy) booted directly, no network: QEMU start -> marker.
# The lifecycle benchmark's floor; prints the ratio of the whole lifecycle to it.
ck_floor() {
  local d f t0 i at="" fw=(); d=$(vm_dir "$1"); f=$d/floor
  mkdir -p "$f"; cp --sparse=always "$d/disk.img" "$f/disk.img"; : >"$f/serial.log"
  [ "$2" = uefi ] && { cp "$OVMF_VARS" "$f/vars.fd"; fw=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" -drive "if=pflash,format=raw,unit=1,file=$f/vars.fd"); }
  t0=$(now)
  qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -nographic -no-reboot -monitor none -nic none -serial "file:$f/serial.log" \
    -pidfile "$f/qemu.pid" "${fw[@]}" -drive "if=none,id=pd,format=raw,file=$f/disk.img" -device "virtio-blk-pci,drive=pd" </dev/null >"$f/qemu.out" 2>&1 &
  for ((i = 0; i < 1800; i++)); do
    grep -aq 'DRAGONFLY-LOCAL-BOOT-OK ' "$f/serial.log" && { at=$(elapsed "$t0" "$(now)"); break; }
    sleep 0.1
  done
  stop_pidfile "$f/qemu.pid" 5
  rm -f "$f/disk.img"
  [ -n "$at" ] || { note "the installed disk did not boot by itself in 180 s"; return 1; }
  local total; total=$(elapsed "$(cat "$d/started-first")" "$(cat "$d/ready-at")")
  note "floor (disk only) ${at}s; lifecycle power-on->marker ${total}s; ratio $(awk -v a="$total" -v b="$at" 'BEGIN { printf "%.1f", a / b }')x"
}

# prov_lifecycle PREFIX NAME FW TAP MAC: the whole install, up to Ready on the local disk.
prov_lifecycle() {
  local p=$1 name=$2 fw=$3 tap=$4 mac=$5
  prov_boot "$name" "$fw" "$tap" "$mac"
  cp "$(vm_dir "$name")/started" "$(vm_dir "$name")/started-first"
  check "$p: registered" ck_registered "$name" "$mac"
  passed && check "$p: assigned" ck_assign "$name" "$mac" "$PROV_TEMPLATE"
  passed && check "$p: image written" ck_installed "$name"
  passed || return 1
  prov_boot "$name" "$fw" "$tap" "$mac"
  check "$p: local boot + marker" ck_local_boot "$name" "$fw" "$mac"
  passed && now >"$(vm_dir "$name")/ready-at"
  passed && check "$p: Ready" ck_ready "$mac"
  passed
}

prov_skip_all() { local c; for c in "$@"; do skip "$c" "$PROV_WHY"; done; }
prov_can_run() {
  PROV_WHY=""
  has_agent_image || PROV_WHY="no complete agent image in dist/agent-image"
  [ -z "$PROV_WHY" ] && ! prov_prepare && PROV_WHY="could not build or serve the lab disk image"
  [ -z "$PROV_WHY" ]
}

prov_install_scenario() { # PREFIX NAME FW TAP MAC
  local p=$1 name=$2 fw=$3 tap=$4 mac=$5
  prov_can_run || { prov_skip_all "$p: registered" "$p: Ready"; return 0; }
  if prov_lifecycle "$@"; then
    prov_wait_off "$name" 30 >/dev/null || vm_stop "$name"
    check "$p: lifecycle vs floor" ck_floor "$name" "$fw"
    check "$p: ${PROV_REBOOTS:-3} reboots stay local" ck_reboots "$name" "$fw" "$tap" "$mac"
    if [ "$fw" = uefi ]; then # provision-nic-first.sh
      check "$p: NIC first (bootindex) boots the disk directly" ck_nic_first "$name" "$tap" "$mac"
      passed && nf_report_ratio
    fi
  fi
  vm_stop "$name"
}

scenario_provision_bios() { prov_install_scenario provision-bios dfp-bios bios "${PROV_TAP_A:-dfltap2}" 52:54:00:98:00:51; }
scenario_provision_uefi() { prov_install_scenario provision-uefi dfp-uefi uefi "${PROV_TAP_B:-dfltap3}" 52:54:00:98:00:52; }

ck_error_digests() { # MAC: Error, and the message names the expected and the actual digest
  local out; out=$(papi wait-state --mac "$1" --state Error --timeout "$PROV_TIMEOUT") || { note "$out"; return 1; }
  out=$(papi error --mac "$1") || { note "$out"; return 1; }
  [[ $out == *"$PROV_ZST_SHA"* ]] && [[ $out == *"$PROV_RAW_SHA"* ]] || { note "error does not name both digests: ${out:0:200}"; return 1; }
  note "Error: ${out:0:160}"
}
ck_retry() { # NAME: the template fixed (apply), POST retry
  local out
  # PROV_RETRY_AFTER=S waits S seconds in Error first (an operator reading the message; the
  # agent then sees at least one heartbeat answered "wait"). Default 0: an immediate retry.
  sleep "${PROV_RETRY_AFTER:-0}"
  out=$(papi template --name "$PROV_BAD_TEMPLATE" --url "$PROV_URL" --checksum "sha256:$PROV_RAW_SHA" --seed "$PROV_SEED") || { note "$out"; return 1; }
  [[ $out == *updated* ]] || { note "apply said: $out"; return 1; }
  out=$(papi retry --workflow "$(cat "$(vm_dir "$1")/workflow")") || { note "$out"; return 1; }
  note "template $PROV_BAD_TEMPLATE updated; $out"
}

# A wrong checksum (the compressed file's digest: a plausible mistake) -> Error -> fix, retry -> Ready.
scenario_provision_retry() {
  local p=provision-retry name=dfp-retry mac=52:54:00:98:00:53 tap=${PROV_TAP_A:-dfltap2}
  prov_can_run || { prov_skip_all "$p: Error names both digests" "$p: Ready after retry"; return 0; }
  local out; out=$(papi template --name "$PROV_BAD_TEMPLATE" --url "$PROV_URL" --checksum "sha256:$PROV_ZST_SHA" --seed "$PROV_SEED") || { skip "$p: Error names both digests" "$out"; return 0; }
  prov_boot "$name" bios "$tap" "$mac"
  check "$p: registered" ck_registered "$name" "$mac"
  passed && check "$p: assigned (bad checksum)" ck_assign "$name" "$mac" "$PROV_BAD_TEMPLATE"
  passed && check "$p: Error names both digests" ck_error_digests "$mac"
  passed && check "$p: template fixed, retried" ck_retry "$name"
  passed && check "$p: image written" ck_installed "$name"
  if passed; then
    prov_boot "$name" bios "$tap" "$mac"
    check "$p: local boot + marker" ck_local_boot "$name" bios "$mac"
    passed && check "$p: Ready after retry" ck_ready "$mac"
  fi
  vm_stop "$name"
}

ck_kill_cp() { # NAME: SIGKILL once the workflow is Running, restart on the same data dir
  local out pid
  out=$(papi wait-phase --workflow "$(cat "$(vm_dir "$1")/workflow")" --phase Running --timeout "$PROV_TIMEOUT") || { note "$out"; return 1; }
  pid=$(cat "$LAB_DIR/cp.pid")
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$LAB_DIR/cp.pid"
  local t0; t0=$(now)
  sleep 3 # the agent meets a dead control plane and retries
  cp_start full
  # restart-to-healthy: the new process spawned -> its own /healthz -> DHCP/TFTP bound
  note "SIGKILLed while \"$out\"; restarted: /healthz after ${CP_UP_SECS} s, DHCP/TFTP after ${CP_READY_SECS} s; back after $(elapsed "$t0" "$(now)") s (3 s down)"
}

scenario_provision_restart() {
  local p=provision-restart name=dfp-restart mac=52:54:00:98:00:54 tap=${PROV_TAP_B:-dfltap3}
  prov_can_run || { prov_skip_all "$p: control plane killed" "$p: Ready"; return 0; }
  prov_boot "$name" bios "$tap" "$mac"
  check "$p: registered" ck_registered "$name" "$mac"
  passed && check "$p: assigned" ck_assign "$name" "$mac" "$PROV_TEMPLATE"
  passed && check "$p: control plane killed" ck_kill_cp "$name"
  passed && check "$p: image written" ck_installed "$name"
  if passed; then
    prov_boot "$name" bios "$tap" "$mac"
    check "$p: local boot + marker" ck_local_boot "$name" bios "$mac"
    passed && check "$p: Ready" ck_ready "$mac"
  fi
  vm_stop "$name"
}

# provision_kexec: provision_bios with kexec instead of reboot as the template's last action.
# The agent mounts the written image's ESP (partition 2), loads /vmlinuz and /initrd.img with
# `kexec -l` (command line: serial console, hostname and seed, as GRUB would give them) and
# jumps with `kexec -e`. Pass: the marker shows up in the SAME QEMU process that PXE-booted the
# agent - no power-off (QEMU runs -no-reboot: any reset or power-off ends it), no second pass
# through the firmware (one SeaBIOS banner on the console), one boot script served since
# power-on (the discovery one: no second PXE boot, no "local") - the workflow Succeeded and the
# machine Ready. The marker then powers the installed OS off, which ends QEMU.
# Environment: PROV_KEXEC_TIMEOUT (seconds to wait for the marker once the workflow Succeeded,
#   default 180).
SCENARIOS+=(provision_kexec)
PROV_KEXEC_TEMPLATE=dfp-lab-disk-kexec

ck_kexec_template() {
  local out
  out=$(papi template --name "$PROV_KEXEC_TEMPLATE" --url "$PROV_URL" --checksum "sha256:$PROV_RAW_SHA" --seed "$PROV_SEED" --final kexec) || { note "$out"; return 1; }
  note "$out (last action kexec /vmlinuz + /initrd.img from partition 2)"
}
# kexec_same_qemu NAME: no other QEMU process took over the VM since registration (QEMU removes
# its pidfile when it exits; the scenario starts QEMU once, and -no-reboot ends it on any reset).
kexec_same_qemu() {
  local d pid; d=$(vm_dir "$1")
  pid=$(cat "$d/qemu.pid" 2>/dev/null || true)
  [ -z "$pid" ] || [ "$pid" = "$(cat "$d/qemu-pid-first")" ] || { note "QEMU pid changed: $(cat "$d/qemu-pid-first") at registration, now $pid"; return 1; }
}
ck_kexec_succeeded() { # NAME: workflow Succeeded, the QEMU that PXE-booted still the one
  local d out; d=$(vm_dir "$1")
  out=$(papi wait-phase --workflow "$(cat "$d/workflow")" --phase Succeeded --timeout "$PROV_TIMEOUT") || { note "$out"; return 1; }
  kexec_same_qemu "$1" || return 1
  note "$out at $(vm_age "$1") s after power-on; QEMU pid $(cat "$d/qemu-pid-first") throughout"
}
ck_kexec_marker() { # NAME MAC: the marker on the console of the same QEMU run, reached through kexec
  local d f hw since at out banners; d=$(vm_dir "$1"); f=$(vm_serial "$1"); hw=$(cat "$d/hw")
  since=$(vm_started_iso "$1")
  # kexec'd kernels that die early die silently (no console yet): do not wait the whole PROV_TIMEOUT
  vm_wait_serial "$1" "DRAGONFLY-LOCAL-BOOT-OK .* firmware=bios" "${PROV_KEXEC_TIMEOUT:-180}" || return 1
  at=$(vm_age "$1")
  vm_wait_serial "$1" "DRAGONFLY-SEED $PROV_SEED" 30 || return 1
  kexec_same_qemu "$1" || return 1
  banners=$(grep -ac 'SeaBIOS (version' "$f" || true)
  [ "$banners" = 1 ] || { note "the firmware ran $banners times in this QEMU run (expected once: kexec skips it)"; return 1; }
  grep -aq 'action [0-9]*/[0-9]* "kexec" (kexec)' "$f" || { note "the agent never logged the kexec action on the console"; return 1; }
  # kexec's line comes before the marker in the one console log
  [ "$(grep -an 'action [0-9]*/[0-9]* "kexec" (kexec)' "$f" | head -n1 | cut -d: -f1)" -lt "$(grep -an 'DRAGONFLY-LOCAL-BOOT-OK' "$f" | head -n1 | cut -d: -f1)" ] || { note "the marker is not after the agent's kexec"; return 1; }
  grep -aq 'Dragonfly: booting from the local disk' "$f" && { note "iPXE booted the local disk: that is a reboot, not kexec"; return 1; }
  out=$(papi local-boots --mac "$2" --since "$since") || { note "$out"; return 1; }
  [[ -n $out ]] && [[ $(echo "$out" | sed 's/discovery (bios)//g; s/; //g') == "" ]] || { note "boot scripts served since power-on: ${out:-none} (expected only the discovery one of the first PXE boot)"; return 1; }
  echo "$at" >"$d/marker-at"
  note "marker at ${at}s after power-on, same QEMU process, firmware ran once, scripts served: $out; $(grep -a 'DRAGONFLY-LOCAL-BOOT-OK' "$f" | tr -d '\r' | head -n1)"
}
ck_kexec_host() { # NAME: the template's {{hostname}} in the kexec cmdline reached the kernel rendered
  local d hw line; d=$(vm_dir "$1"); hw=$(cat "$d/hw")
  line=$(grep -a 'DRAGONFLY-LOCAL-BOOT-OK' "$(vm_serial "$1")" | tr -d '\r' | head -n1)
  [ "$line" = "DRAGONFLY-LOCAL-BOOT-OK $hw firmware=bios" ] || { note "expected \"DRAGONFLY-LOCAL-BOOT-OK $hw firmware=bios\", the console says \"$line\""; return 1; }
  note "$line"
}

ck_kexec_off() { # NAME: the marker's poweroff ends the one QEMU process
  prov_wait_off "$1" 60 || return 1
  note "QEMU exited at $(vm_age "$1") s after power-on (the installed OS powered off)"
}

scenario_provision_kexec() {
  local p=provision-kexec name=dfp-kexec mac=52:54:00:98:00:55 tap=${PROV_TAP_A:-dfltap2} d
  prov_can_run || { prov_skip_all "$p: registered" "$p: marker after kexec" "$p: Ready"; return 0; }
  check "$p: template (kexec last)" ck_kexec_template
  passed || return 0
  d=$(vm_dir "$name")
  prov_boot "$name" bios "$tap" "$mac"
  check "$p: registered" ck_registered "$name" "$mac"
  passed && { cp "$d/qemu.pid" "$d/qemu-pid-first"; check "$p: assigned" ck_assign "$name" "$mac" "$PROV_KEXEC_TEMPLATE"; }
  passed && check "$p: workflow Succeeded" ck_kexec_succeeded "$name"
  passed && check "$p: marker after kexec" ck_kexec_marker "$name" "$mac"
  if passed; then
    check "$p: Ready" ck_ready "$mac"
    check "$p: cmdline {{hostname}} rendered" ck_kexec_host "$name"
    check "$p: installed OS powered off" ck_kexec_off "$name"
  fi
  vm_stop "$name"
}
