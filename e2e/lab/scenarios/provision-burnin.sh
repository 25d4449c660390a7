# Burn-in before imaging (issue 17.3), BIOS: the lab template with memtest, disktest and
# cpustress in front. First with a disktest write threshold no disk reaches: the workflow stops
# at the disktest with its figures, Error, image2disk never started. Then the template without
# that threshold, retried: every check Succeeded with its figures (memtest MiB and MB/s, disktest
# read/write MB/s, cpustress iterations/s per CPU and the temperature, "not reported" in QEMU),
# the image written, the local boot marker, Ready.
# Uses provision.sh's helpers (prov_*, ck_*); VM dfp-burnin. Runs in the main lab
# (LAB_SCENARIOS=provision_burnin npm run e2e:lab) or in the provisioning lab
# (bash e2e/lab/disk-image/run-provision.sh provision_burnin); about 6 min under TCG.
SCENARIOS+=(provision_burnin)

PROV_BURNIN_TEMPLATE=dfp-lab-burnin

ck_burnin_template() { # pass|fail
  local out
  out=$(papi template --name "$PROV_BURNIN_TEMPLATE" --url "$PROV_URL" --checksum "sha256:$PROV_RAW_SHA" --seed "$PROV_SEED" --burnin "$1") || { note "$out"; return 1; }
  note "$out"
}

ck_burnin_stopped() { # MAC: Error at the disktest, with its figures; image2disk never ran
  local out; out=$(papi wait-state --mac "$1" --state Error --timeout "$PROV_TIMEOUT") || { note "$out"; return 1; }
  out=$(papi actions --mac "$1") || { note "$out"; return 1; }
  log "$out"
  grep -q '^memory memtest Succeeded .*| memtest: [0-9.]* MiB tested .* 0 errors' <<<"$out" || { note "memtest did not pass first: $(head -n1 <<<"$out")"; return 1; }
  grep -q '^disk disktest Failed .*disktest /dev/vda: writes at [0-9.]* MB/s, below minWriteMBps 100000; 64 MiB in 8 of 8 places' <<<"$out" || { note "disktest did not fail with its figures: $(sed -n 2p <<<"$out" | cut -c1-200)"; return 1; }
  grep -q '^write-image image2disk Pending ' <<<"$out" || { note "image2disk was not left Pending: $(grep write-image <<<"$out")"; return 1; }
  note "$(sed -n 2p <<<"$out" | cut -c1-220)"
}

ck_burnin_retry() { # NAME
  local out
  out=$(papi retry --workflow "$(cat "$(vm_dir "$1")/workflow")") || { note "$out"; return 1; }
  note "$out"
}

ck_burnin_figures() { # MAC: each check Succeeded with its figures and duration
  local out; out=$(papi actions --mac "$1") || { note "$out"; return 1; }
  log "$out"
  grep -q '^memory memtest Succeeded [0-9.]* | memtest: [0-9.]* MiB tested (4 patterns × 1 pass) in [0-9.]* s, [0-9.]* MB/s, 0 errors' <<<"$out" || { note "memtest: $(grep '^memory' <<<"$out")"; return 1; }
  grep -q '^disk disktest Succeeded [0-9.]* | disktest /dev/vda: 64 MiB in 8 of 8 places written at [0-9.]* MB/s and read back at [0-9.]* MB/s, [0-9.]* s, 0 errors$' <<<"$out" || { note "disktest: $(grep '^disk ' <<<"$out")"; return 1; }
  grep -q '^cpu cpustress Succeeded [0-9.]* | cpustress: 2 CPUs × 5 s, iterations/s per CPU [0-9.]*, [0-9.]* (SHA-256 of 64 KiB), 0 errors; temperature ' <<<"$out" || { note "cpustress: $(grep '^cpu ' <<<"$out")"; return 1; }
  note "$(head -n3 <<<"$out" | cut -d'|' -f2 | sed 's/^ //' | paste -sd';' | cut -c1-400)"
}

scenario_provision_burnin() {
  local p=provision-burnin name=dfp-burnin mac=52:54:00:98:00:58 tap=${PROV_TAP_A:-dfltap2}
  prov_can_run || { prov_skip_all "$p: disktest below threshold stops the workflow" "$p: Ready after burn-in"; return 0; }
  check "$p: template with a failing threshold" ck_burnin_template fail
  passed && { prov_boot "$name" bios "$tap" "$mac"; check "$p: registered" ck_registered "$name" "$mac"; }
  passed && check "$p: assigned" ck_assign "$name" "$mac" "$PROV_BURNIN_TEMPLATE"
  passed && check "$p: disktest below threshold stops the workflow" ck_burnin_stopped "$mac"
  passed && check "$p: template without the threshold" ck_burnin_template pass
  passed && check "$p: retried" ck_burnin_retry "$name"
  passed && check "$p: image written" ck_installed "$name"
  passed && check "$p: burn-in figures" ck_burnin_figures "$mac"
  if passed; then
    prov_boot "$name" bios "$tap" "$mac"
    check "$p: local boot + marker" ck_local_boot "$name" bios "$mac"
    passed && check "$p: Ready after burn-in" ck_ready "$mac"
  fi
  vm_stop "$name"
}
