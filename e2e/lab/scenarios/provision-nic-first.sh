# Direct UEFI local boot with the NIC first (issue 16 part 3): a provisioned UEFI VM whose QEMU
# bootindex puts the NIC first (OVMF re-applies it at every power-on, as a server whose setup
# fixes network-first) must reach its installed OS by booting the disk directly (our loader,
# dragonfly-localboot.efi, served for the name of iPXE to a machine whose fate is local: no
# iPXE at all), never walking on through the firmware's other network options. How long that takes against
# the same VM booting its disk first (issue 16's goal: <= 1.5x) is measured and reported, not
# asserted: a timed pass/fail would flake with the machine's load (docs/BENCHMARKS.md has the
# figures of dedicated runs). Rounds alternate NIC first and disk
# first (LAB_NIC_FIRST_ROUNDS pairs, default 3), so a load swing hits both columns alike.
# Called by provision.sh on the provisioned UEFI VM (its disk holds the lab's installed OS).
# Figures: $LAB_DIR/nic-first.tsv, one line per power-on (order, seconds to each console phase).

# The console lines that mark a phase, in boot order: "label<TAB>regex".
NF_PHASES=(
  $'pxe\tStart PXE over IPv4'
  $'ip\tStation IP address is'
  $'nbp\tNBP file downloaded successfully'
  $'ipxe\tiPXE initialising'
  $'loader\tdragonfly-localboot: starting'
  $'grub\tWelcome to GRUB'
  $'marker\tDRAGONFLY-LOCAL-BOOT-OK '
)

# nf_power_on NAME TAP MAC nic|disk: one power-on with that device first; prints the seconds from
# QEMU start to each phase ("pxe=8.1 nbp=12.0 ... marker=20.3"), "-" for a phase never seen.
nf_power_on() {
  local name=$1 tap=$2 mac=$3 first=$4 d t0 i p label re seen=() line
  d=$(vm_dir "$name")
  local vb=1 bi=",bootindex=2"; [ "$first" = disk ] && { vb=0; bi=",bootindex=1"; }
  VM_BOOTINDEX=$vb boot_vm "$name" uefi "$tap" "$mac" -m 1024 -smp 2 \
    -drive "if=none,id=pd,format=raw,file=$d/disk.img" -device "virtio-blk-pci,drive=pd,serial=dfp-disk$bi" >&2
  t0=$(cat "$d/started")
  for ((i = 0; i < PROV_TIMEOUT * 10; i++)); do
    for p in "${!NF_PHASES[@]}"; do
      [ -n "${seen[$p]:-}" ] && continue
      re=${NF_PHASES[$p]#*$'\t'}
      grep -aqE "$re" "$d/serial.log" && seen[p]=$(elapsed "$t0" "$(now)")
    done
    [ -n "${seen[$((${#NF_PHASES[@]} - 1))]:-}" ] && break
    sleep 0.1
  done
  line=""
  for p in "${!NF_PHASES[@]}"; do label=${NF_PHASES[$p]%%$'\t'*}; line+="$label=${seen[$p]:--} "; done
  echo "${line% }"
}

# nf_marker "pxe=.. marker=S": S, or empty when the marker never came.
nf_marker() { local m=${1##*marker=}; [ "$m" = - ] || echo "$m"; }

nf_median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# ck_nic_first NAME TAP MAC: the rounds. Each power-on must reach the marker; each NIC-first one
# must have been answered "local" and must not have walked on to IPv6 PXE or HTTP boot.
# Writes the marker times to $LAB_DIR/nic-first.tsv for nf_report_ratio.
ck_nic_first() {
  local name=$1 tap=$2 mac=$3 r first phases at since out tries
  local rounds=${LAB_NIC_FIRST_ROUNDS:-3} tsv=$LAB_DIR/nic-first.tsv
  : >"$tsv"
  for ((r = 1; r <= rounds; r++)); do
    for first in nic disk; do
      vm_stop "$name"
      since=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
      phases=$(nf_power_on "$name" "$tap" "$mac" "$first")
      vm_stop "$name"
      printf '%s\t%s\t%s\t%s\n' "$r" "$first" "$(load_now)" "$phases" >>"$tsv"
      note "round $r, $first first: $phases"
      at=$(nf_marker "$phases")
      [ -n "$at" ] || { note "round $r, $first first: no marker within ${PROV_TIMEOUT}s"; return 1; }
      [ "$first" = disk ] && continue
      tries=$(grep -aoE 'Start (PXE over IPv6|HTTP Boot over IPv[46])' "$(vm_serial "$name")" | sort -u | paste -sd, -)
      [ -z "$tries" ] || { note "round $r: the firmware walked on to ${tries} before the disk"; return 1; }
      # The control plane answered the firmware's request for iPXE with our disk loader
      # (core/boot/uefi-local-loader.ts): it started the disk's loader and iPXE never ran.
      [[ $phases == *"loader=-"* || $phases != *"ipxe=-"* ]] && { note "round $r: our loader did not boot the disk (iPXE ran or no loader line): $phases"; return 1; }
      out=$(papi local-boots --mac "$mac" --since "$since") || { note "$out"; return 1; }
      [[ $out == *"local (uefi)"* ]] || { note "round $r: scripts served: ${out:-none}"; return 1; }
    done
  done
}

# nf_report_ratio: the medians of ck_nic_first's rounds and their ratio, as a figure for the log
# and $LAB_DIR/nic-first-ratio.txt (issue 16's goal is <= 1.5x; measured, not asserted).
nf_report_ratio() {
  local tsv=$LAB_DIR/nic-first.tsv mn md ratio nic disk
  nic=$(awk -F'\t' '$2 == "nic" { sub(/.*marker=/, "", $4); print $4 }' "$tsv")
  disk=$(awk -F'\t' '$2 == "disk" { sub(/.*marker=/, "", $4); print $4 }' "$tsv")
  [ -n "$nic" ] && [ -n "$disk" ] || { note "no NIC-first rounds recorded in $tsv"; return 0; }
  mn=$(nf_median <<<"$nic"); md=$(nf_median <<<"$disk")
  ratio=$(awk -v a="$mn" -v b="$md" 'BEGIN { printf "%.2f", a / b }')
  note "FIGURE NIC first $(paste -sd' ' <<<"$nic") s (median $mn), disk first $(paste -sd' ' <<<"$disk") s (median $md): ${ratio}x (goal <= 1.5x), load $(load_now)"
  echo "$ratio" >"$LAB_DIR/nic-first-ratio.txt"
}

load_now() { cut -d' ' -f1 /proc/loadavg; }
