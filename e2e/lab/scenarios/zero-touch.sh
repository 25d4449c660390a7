# Zero-touch rack run (issue 17), its lab proof: plug in, walk away, come back to a signed report.
# Everything an operator does happens BEFORE any machine has power, through the CLI:
#   dragonfly apply -f rules.yaml          one Rule: serial "ZT-*" -> expect >= ZT_MIN_GIB GiB of
#                                          memory and 1 disk, label rack=zt, assign the lab template
#   dragonfly machines import inv.csv      two declared machines, each BMC an ipmi_sim in the
#                                          server namespace (60-ipmi-power.sh's machinery)
#   dragonfly assign TEMPLATE dfz-decl1 dfz-decl2
#                                          a declared machine's assignment: Dragonfly itself sets
#                                          next boot PXE and powers it on over IPMI
# and two plain PXE machines are switched on (a technician pressing their power buttons). From
# then on the scenario only READS the API (GET) and watches consoles and files:
#   dfz-decl1 (ZT-0001, 1024 MiB, 1 disk), dfz-decl2 (ZT-0003, 896 MiB, 1 disk) -> register -> the
#     assignment's workflow images the disk -> Dragonfly sets next boot disk -> marker -> Ready, off
#   dfz-plain (ZT-0004, 1024 MiB, 1 disk, network first) -> registers -> the RULE assigns the
#     template -> imaged -> reboots by itself -> iPXE says local -> marker -> Ready
#   dfz-short (ZT-0002, ZT_SHORT_MIB, 2 disks) -> registers -> the rule's expectation fails ->
#     Error naming the memory and the expected figure, no workflow, both disk files' sha256 unchanged
# Then `dragonfly report --out DIR` lists all four, `dragonfly report verify` passes, and refuses
# the file once one byte of it is changed.
# Runs in the provisioning lab (e2e/lab/disk-image/run-provision.sh zero_touch; npm run e2e:zero-touch).
# Environment: ZT_SHORT_MIB (default 512), ZT_MIN_GIB (default 0.75), PROV_TIMEOUT.

# The IPMI scenario's BMC + machine, with this scenario's names (its SCENARIOS entry is not ours).
zt_saved=("${SCENARIOS[@]}")
source "$LAB_REPO/e2e/lab/scenarios/60-ipmi-power.sh"
SCENARIOS=("${zt_saved[@]}")

ZT_RULE=dfz-rack
ZT_SHORT=dfz-short ZT_SHORT_MAC=52:54:00:98:00:72 ZT_SHORT_SERIAL=ZT-0002
ZT_SHORT_MIB=${ZT_SHORT_MIB:-512}
ZT_MIN_GIB=${ZT_MIN_GIB:-0.75}
ZT_PLAIN=dfz-plain ZT_PLAIN_MAC=52:54:00:98:00:74 ZT_PLAIN_SERIAL=ZT-0004
ZT_SHORT_TAP=${PROV_TAP_B:-dfltap3} ZT_PLAIN_TAP=dfptap2
# The declared machines: name|MAC|serial|memory MiB|tap|BMC port.
ZT_DECL=("dfz-decl1|52:54:00:98:00:71|ZT-0001|1024|${PROV_TAP_A:-dfltap2}|6231" "dfz-decl2|52:54:00:98:00:73|ZT-0003|896|dfptap3|6232")

# zt_decl N: the IPMI scenario's globals (60-ipmi-power.sh) point at declared machine N (1, 2).
zt_decl() {
  local name mac serial mib tap port
  IFS='|' read -r name mac serial mib tap port <<<"${ZT_DECL[$(($1 - 1))]}"
  IPMI_VM=$name IPMI_HW=$name IPMI_MAC=$mac IPMI_TAP=$tap IPMI_PORT=$port IPMI_INSTANCE=-$name
  IPMI_MACHINE_ARGS="--memory $mib --cpus 1 --serial $serial"
  ZT_DECL_SERIAL=$serial
}

# zcli ARGS...: the dragonfly CLI inside the server namespace, against the lab's control plane.
zcli() { in_srv node "$LAB_REPO/bin/dragonfly.mjs" --url "$CP_URL" --token "$LAB_TOKEN" "$@"; }

ck_zt_rules() {
  local f=$LAB_DIR/zt-rules.yaml out
  cat >"$f" <<EOF
apiVersion: dragonfly.computer/v1
kind: Rule
metadata: { name: $ZT_RULE }
spec:
  priority: 10
  match: { serial: "ZT-*" }
  expect:
    memoryGiB: $ZT_MIN_GIB
    disks: { atLeast: 1 }
  action:
    labels: { rack: zt }
    template: $PROV_TEMPLATE
EOF
  out=$(zcli apply -f "$f" 2>&1) || { note "apply: $out"; return 1; }
  note "dragonfly apply -f: $(echo "$out" | tr '\n' ' ' | cut -c1-120)"
}

ck_zt_bmcs_up() {
  local i out=""
  for i in 1 2; do
    zt_decl $i
    ck_ipmi_bmc_up || return 1
    out+="$IPMI_HW: 127.0.0.1:$IPMI_PORT off; "
  done
  note "ipmi_sim BMCs in $NS_SRV: $out"
}

ck_zt_import() {
  local f=$LAB_DIR/zt-inventory.csv out i
  echo 'mac,bmc_address,bmc_protocol,bmc_username,bmc_password,rack,position,labels,name' >"$f"
  for i in 1 2; do
    zt_decl $i
    echo "$IPMI_MAC,127.0.0.1:$IPMI_PORT,ipmi,$IPMI_USER,$IPMI_SECRET,zt,u$i,role=worker,$IPMI_HW" >>"$f"
  done
  out=$(zcli machines import "$f" 2>&1) || { note "import: $out"; return 1; }
  note "dragonfly machines import: $(echo "$out" | tr '\n' ' ' | cut -c1-160)"
}

# The assignment of machines that never booted; Dragonfly powers each on over its BMC.
ck_zt_assign_declared() {
  local out i chassis=""
  zt_decl 1; local one=$IPMI_HW
  zt_decl 2
  out=$(zcli assign "$PROV_TEMPLATE" "$one" "$IPMI_HW" 2>&1) || { note "assign: $out"; return 1; }
  for i in 1 2; do
    zt_decl $i
    ipmi_wait_log 0 'machine start [0-9]+ boot=pxe' 60 || return 1
    ipmi_in_order 0 'bmc set boot pxe' 'bmc set (power 1|reset 1)' 'machine start [0-9]+ boot=pxe' || return 1
    now >"$(vm_dir "$IPMI_VM")/started"; now >"$(vm_dir "$IPMI_VM")/started-first"
    echo 0 >"$(vm_dir "$IPMI_VM")/lines-after-assign"
    chassis+="$IPMI_HW: $(ipmi_since 0); "
  done
  note "dragonfly assign: $(echo "$out" | tr '\n' ' ' | cut -c1-100); chassis: $chassis"
}

# The plain machine: no BMC, network first at every start (ipmi-machine.ts with boot "pxe"), and
# like real hardware it restarts by itself after the install's reboot.
zt_boot_plain() {
  local d; d=$(vm_dir "$ZT_PLAIN"); mkdir -p "$d"
  truncate -s "$IPMI_DISK_BYTES" "$d/disk.img"
  echo pxe >"$d/boot"
  ip netns exec "$NS_SRV" node --import tsx "$LAB_REPO/e2e/lab/scenarios/ipmi-machine.ts" --dir "$d" --tap "$ZT_PLAIN_TAP" \
    --mac "$ZT_PLAIN_MAC" --disk "$d/disk.img" --memory 1024 --cpus 1 --serial "$ZT_PLAIN_SERIAL" </dev/null >>"$d/machine.out" 2>&1 &
  echo $! >"$d/machine.pid"
  now >"$d/started"
  log "VM $ZT_PLAIN (bios, $ZT_PLAIN_MAC on $ZT_PLAIN_TAP, network first) started"
}
zt_stop_plain() {
  local d; d=$(vm_dir "$ZT_PLAIN")
  stop_pidfile "$d/machine.pid" 10
  stop_pidfile "$d/qemu.pid" 5
}

# The rule, not an operator, assigned the template: Ready, the marker from the local disk, the
# workflow names the template, the timeline names the rule.
ck_zt_plain_ready() {
  local d out hw; d=$(vm_dir "$ZT_PLAIN")
  out=$(papi wait-state --mac "$ZT_PLAIN_MAC" --state Ready --timeout "$PROV_TIMEOUT") || { note "$out; serial: $(tr -d '\r' <"$d/serial.log" | grep -a . | tail -n1 | cut -c1-100)"; return 1; }
  hw=${out%% *}; echo "$hw" >"$d/hw"
  vm_wait_serial_file "$d/serial.log" "DRAGONFLY-LOCAL-BOOT-OK $hw firmware=bios" 120 || return 1
  in_srv curl -fsS -H "Authorization: Bearer $LAB_TOKEN" "$CP_URL/api/v1/hardware/$hw" >"$d/hw.json" || { note "GET hardware/$hw failed"; return 1; }
  in_srv curl -fsS -H "Authorization: Bearer $LAB_TOKEN" "$CP_URL/api/v1/workflows" >"$d/workflows.json" || { note "GET workflows failed"; return 1; }
  out=$(node -e '
    const fs = require("fs");
    const [hwFile, wfFile, hw, rule, tpl] = process.argv.slice(1);
    const h = JSON.parse(fs.readFileSync(hwFile));
    const wf = JSON.parse(fs.readFileSync(wfFile)).items.filter((x) => x.spec.hardwareRef === hw);
    const ruled = (h.status.bootHistory ?? []).find((x) => x.step === "rule" && (x.detail ?? "").includes(rule));
    if (wf.length !== 1 || wf[0].spec.templateRef !== tpl || !ruled) {
      console.log(`workflows [${wf.map((x) => x.spec.templateRef)}] (want one, ${tpl}); timeline step naming ${rule}: ${JSON.stringify(ruled)}`);
      process.exit(1);
    }
    console.log(`${wf[0].metadata.name} (${tpl}); timeline: ${ruled.detail.slice(0, 80)}`);
  ' "$d/hw.json" "$d/workflows.json" "$hw" "$ZT_RULE" "$PROV_TEMPLATE") || { note "$out"; return 1; }
  note "$hw Ready, marker on its console, $(elapsed "$(cat "$d/started")" "$(now)") s after power-on; $out"
}
# vm_wait_serial_file FILE REGEX TIMEOUT
vm_wait_serial_file() {
  local i
  for ((i = 0; i < $3 * 2; i++)); do grep -aqE "$2" "$1" 2>/dev/null && return 0; sleep 0.5; done
  note "$1 never showed /$2/ within $3 s"
  return 1
}

# The machine that falls short: two disks, each with random bytes so a write would show.
zt_boot_short() {
  local d a; d=$(vm_dir "$ZT_SHORT"); mkdir -p "$d"
  for a in a b; do
    head -c 4194304 /dev/urandom >"$d/$a.img"
    truncate -s 67108864 "$d/$a.img"
  done
  sha256sum "$d/a.img" "$d/b.img" >"$d/disks.sha256"
  boot_vm "$ZT_SHORT" bios "$ZT_SHORT_TAP" "$ZT_SHORT_MAC" -m "$ZT_SHORT_MIB" -smp 1 -smbios "type=1,serial=$ZT_SHORT_SERIAL" \
    -drive "if=none,id=da,format=raw,file=$d/a.img" -device "virtio-blk-pci,drive=da,serial=dfz-a,bootindex=2" \
    -drive "if=none,id=db,format=raw,file=$d/b.img" -device "virtio-blk-pci,drive=db,serial=dfz-b"
}

ck_zt_short_error() {
  local out n d; d=$(vm_dir "$ZT_SHORT")
  out=$(papi wait-state --mac "$ZT_SHORT_MAC" --state Error --timeout "$PROV_TIMEOUT") || { note "$out; serial: $(tr -d '\r' <"$(vm_serial "$ZT_SHORT")" | grep -a . | tail -n1 | cut -c1-100)"; return 1; }
  echo "${out%% *}" >"$d/hw"
  out=$(papi error --mac "$ZT_SHORT_MAC") || { note "$out"; return 1; }
  [[ $out == *"$ZT_RULE"* ]] && [[ $out == *memory* ]] && [[ $out == *"$ZT_MIN_GIB GiB"* ]] || { note "the error does not name the rule, the memory and $ZT_MIN_GIB GiB: ${out:0:200}"; return 1; }
  n=$(papi workflows --mac "$ZT_SHORT_MAC") || { note "$n"; return 1; }
  [ "$n" = 0 ] || { note "$n workflow(s) for the short machine (expected none)"; return 1; }
  note "Error at $(vm_age "$ZT_SHORT") s after power-on, no workflow: ${out:0:160}"
}

ck_zt_disks_untouched() {
  local d out; d=$(vm_dir "$ZT_SHORT")
  vm_stop "$ZT_SHORT"
  out=$(sha256sum -c "$d/disks.sha256" 2>&1) || { note "a disk changed: $(echo "$out" | tr '\n' ' ')"; return 1; }
  note "both disks' sha256 unchanged: $(cut -c1-16 "$d/disks.sha256" | paste -sd' ')"
}

ck_zt_decl_ready() {
  local out tool d; d=$(vm_dir "$IPMI_VM")
  out=$(papi wait-state --mac "$IPMI_MAC" --state Ready --timeout 120) || { note "$out"; return 1; }
  ipmi_wait_log 0 'machine guest-shutdown' 60 || return 1
  now >"$d/ready-at"
  local i
  for ((i = 0; i < 20; i++)); do # the machine's process ends a moment after the guest's poweroff
    tool=$(ipmitool_srv chassis power status 2>&1)
    [ "$tool" = 'Chassis Power is off' ] && break
    sleep 0.5
  done
  [ "$tool" = 'Chassis Power is off' ] || { note "ipmitool says \"$tool\" after the guest powered off"; return 1; }
  note "$out; powered off, ipmitool: \"$tool\"; Dragonfly's power-on -> Ready $(elapsed "$(cat "$d/started-first")" "$(cat "$d/ready-at")") s"
}

# The declared machine's workflow, found by reading (the CLI's assign answer is for people).
zt_workflow_of() { # MACHINE
  in_srv curl -fsS -H "Authorization: Bearer $LAB_TOKEN" "$CP_URL/api/v1/workflows" |
    node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const w=JSON.parse(s).items.filter((x)=>x.spec.hardwareRef===process.argv[1]);if(w.length)console.log(w[w.length-1].metadata.name)})' "$1"
}

# report.json must list each machine with its serial and the state the lab saw; the declared
# ones name the template, the plain and the short one the rule (timeline, Error message).
ck_zt_report() {
  local dir=$LAB_DIR/zt-report out short
  local plain
  short=$(cat "$(vm_dir "$ZT_SHORT")/hw" 2>/dev/null) || { note "the short machine's name is unknown (it never reached Error)"; return 1; }
  plain=$(cat "$(vm_dir "$ZT_PLAIN")/hw" 2>/dev/null) || { note "the plain machine's name is unknown (it never reached Ready)"; return 1; }
  out=$(zcli report --out "$dir" 2>&1) || { note "report: $out"; return 1; }
  out=$(node -e '
    const [file, ...want] = process.argv.slice(1);
    const ms = JSON.parse(require("fs").readFileSync(file)).report.machines;
    const bad = [];
    for (const w of want) {
      const [name, serial, state, text] = w.split("|");
      const m = ms.find((x) => x.name === name);
      if (!m) bad.push(`${name} missing`);
      else if (m.serial !== serial || m.state !== state || !JSON.stringify(m).includes(text)) bad.push(`${name}: serial ${m.serial}, ${m.state}, "${m.message ?? ""}" (want ${serial}, ${state}, an entry mentioning "${text}")`);
    }
    if (bad.length) { console.log(bad.join("; ")); process.exit(1); }
    console.log(ms.map((x) => `${x.name} ${x.serial} ${x.state}`).join(", "));
  ' "$dir/report.json" "dfz-decl1|ZT-0001|Ready|$PROV_TEMPLATE" "dfz-decl2|ZT-0003|Ready|$PROV_TEMPLATE" \
    "$plain|$ZT_PLAIN_SERIAL|Ready|$ZT_RULE" "$short|$ZT_SHORT_SERIAL|Error|$ZT_RULE") || { note "report.json: $out"; return 1; }
  local listed=$out
  out=$(zcli report verify "$dir/report.json" 2>&1) || { note "verify refused the untouched report: $out"; return 1; }
  note "report.json: $listed; verify: $(echo "$out" | head -n1 | cut -c1-90)"
}

# One byte changed (the short machine's serial ZT-0002 -> ZT-0003: still valid JSON, so only
# the signature can catch it) must make verify exit non-zero.
ck_zt_report_tamper() {
  local dir=$LAB_DIR/zt-report out rc=0
  cp "$dir/report.json" "$dir/tampered.json"
  sed -i "0,/$ZT_SHORT_SERIAL/s//${ZT_SHORT_SERIAL%2}3/" "$dir/tampered.json"
  [ "$(cmp -l "$dir/report.json" "$dir/tampered.json" | wc -l)" = 1 ] || { note "the tampered copy does not differ in exactly one byte"; return 1; }
  out=$(zcli report verify "$dir/tampered.json" 2>&1) || rc=$?
  [ "$rc" -ne 0 ] || { note "verify accepted a changed file: $out"; return 1; }
  note "one byte changed -> exit $rc: $(echo "$out" | tr '\n' ' ' | cut -c1-120)"
}

zt_declared_checks() { # N
  local p=zero-touch
  zt_decl "$1"
  zt_workflow_of "$IPMI_HW" >"$(vm_dir "$IPMI_VM")/workflow"
  check "$p: $IPMI_HW image written" ck_ipmi_installed
  passed && check "$p: $IPMI_HW next boot disk" ck_ipmi_disk_boot
  passed && check "$p: $IPMI_HW Ready, off" ck_zt_decl_ready
}

scenario_zero_touch() {
  local p=zero-touch t0 i; t0=$(now)
  if ! prov_can_run; then skip "$p: declared Ready, short Error" "$PROV_WHY"; return 0; fi
  for i in 1 2; do zt_decl $i; rm -rf "$(vm_dir "$IPMI_VM")"; done
  rm -rf "$(vm_dir "$ZT_SHORT")" "$(vm_dir "$ZT_PLAIN")"
  check "$p: BMCs up (ipmitool)" ck_zt_bmcs_up
  passed && check "$p: rules applied (CLI)" ck_zt_rules
  passed && check "$p: inventory imported (CLI)" ck_zt_import
  # Power-on: from here on only reads.
  passed && check "$p: declared assigned -> BMCs on" ck_zt_assign_declared
  if passed; then
    zt_boot_short
    zt_boot_plain
    check "$p: short -> Error, named" ck_zt_short_error
    check "$p: short's disks untouched" ck_zt_disks_untouched
    zt_declared_checks 1
    zt_declared_checks 2
    check "$p: plain -> rule's template -> Ready" ck_zt_plain_ready
    check "$p: report lists, verifies" ck_zt_report
    passed && check "$p: report refused if changed" ck_zt_report_tamper
  fi
  vm_stop "$ZT_SHORT"
  zt_stop_plain
  for i in 1 2; do zt_decl $i; ipmi_stop; done
  log "zero-touch scenario: $(elapsed "$t0" "$(now)") s"
}
