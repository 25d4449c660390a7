# ARM64 imaging and local boot (issue 16 point 4: "the same discovery and imaging"); alone:
# `npm run e2e:lab:arm64-provision`. The arm64 VM of 34-arm64-pxe.sh (qemu-system-aarch64, virt,
# AAVMF, TCG, NIC first by bootindex) with an EMPTY 256 MiB virtio disk PXE-boots the arm64 agent,
# registers, and is assigned the lab template (provision-api.ts: image2disk, writefile of a seed
# onto the ESP, efibootorder, reboot) with the lab disk's arm64 variant (disk-image/build.sh
# DISK_VARIANT=arm64: GRUB arm64-efi as BOOTAA64.EFI, Debian's arm64 kernel). The workflow
# Succeeded, its image2disk progress on the event stream; the agent's reboot ends QEMU
# (-no-reboot). The VM's disk FILE is then read on the host: every byte of the written range
# equals the image except the few ESP sectors writefile changed, and the seed file reads back
# with the machine's name. Power on again, NIC still first: the arm64 iPXE gets the "local"
# script, `sanboot` starts the disk's BOOTAA64.EFI, the installed OS prints its marker and seed
# -> Ready. Uses 34-arm64-pxe.sh (arm64_vm_start, has_arm64_agent_image) and provision.sh
# (papi, ck_*, PROV_*).
SCENARIOS+=(arm64_provision)

A64P_MAC=52:54:00:98:00:3c

# a64p_boot NAME: the arm64 VM with its disk (kept across power-ons).
a64p_boot() {
  local d; d=$(vm_dir "$1")
  mkdir -p "$d"
  [ -f "$d/disk.img" ] || truncate -s "$PROV_DISK_BYTES" "$d/disk.img"
  [ -s "$d/serial.log" ] && cp "$d/serial.log" "$d/serial.$(date +%H%M%S).log" # arm64_vm_start empties it
  arm64_vm_start "$1" dfltap1 "$A64P_MAC" -drive "if=none,id=pd,format=raw,file=$d/disk.img" -device "virtio-blk-pci,drive=pd,serial=dfp-disk"
}

A64P_TEMPLATE=dfp-lab-disk-arm64
A64P_DISK_DIR=${LAB_ARM64_DISK_DIR:-$LAB_REPO/.cache/lab-disk-arm64}

# The arm64 lab disk, served by the control plane itself at /images/, and its template.
a64p_prepare() {
  DISK_VARIANT=arm64 LAB_DISK_DIR="$A64P_DISK_DIR" bash "$LAB_REPO/e2e/lab/disk-image/build.sh" >&2 || { note "building the arm64 lab disk failed"; return 1; }
  need_cp full
  local out
  out=$(prov_serve_disk "$A64P_DISK_DIR" disk-arm64.raw.zst "$A64P_TEMPLATE") || { note "$out"; return 1; }
  note "$out: $(node -e 'const m=require(process.argv[1]); console.log(m.kernel, m.rawBytes, "bytes,", m.zstBytes, "compressed")' "$A64P_DISK_DIR/manifest.json")"
}

# ck_a64p_progress NAME: the workflow Succeeded, its image2disk progress (between 0 and 100 %)
# reached the event stream, then the agent's reboot ended QEMU.
ck_a64p_progress() {
  local d out at; d=$(vm_dir "$1")
  out=$(papi watch-progress --workflow "$(cat "$d/workflow")" --from "$(cat "$d/revision")" --timeout "$PROV_TIMEOUT") || { note "$out; serial: $(tr -d '\r' <"$(vm_serial "$1")" | grep -a . | tail -n1 | cut -c1-100)"; return 1; }
  at=$(vm_age "$1")
  prov_wait_off "$1" 120 || return 1
  note "$out; VM off at ${at}s after power-on, $(elapsed "$(cat "$d/registered")" "$(now)")s after registration"
}

# a64p_esp_range IMAGE: "first_byte end_byte" of partition 2 (the ESP) of the lab image.
a64p_esp_range() {
  sgdisk -i 2 "$1" | awk '/^First sector/ { f = $3 } /^Last sector/ { l = $3 } END { print f * 512, (l + 1) * 512 }'
}

# ck_a64p_disk NAME: the VM's disk file against the image it was given.
ck_a64p_disk() {
  local d raw n esp_a esp_b diffs outside sectors img_sha head_sha seed want hw
  d=$(vm_dir "$1"); raw=$A64P_DISK_DIR/disk.raw; hw=$(cat "$d/hw")
  n=$(stat -c %s "$raw")
  read -r esp_a esp_b < <(a64p_esp_range "$raw")
  img_sha=$(cat "$A64P_DISK_DIR/disk.raw.sha256")
  head_sha=$(head -c "$n" "$d/disk.img" | sha256sum | cut -d' ' -f1)
  [ -n "$(head -c "$n" "$d/disk.img" | tr -d '\0' | head -c 1)" ] || { note "the first $n bytes of the VM's disk are all zero: nothing was written"; return 1; }
  # cmp -l: one line per differing byte, its 1-based offset first (capped: a wrong image would
  # differ almost everywhere, and the first lines already say where).
  diffs=$(cmp -l "$raw" <(head -c "$n" "$d/disk.img") | head -n 100000 | awk '{ print $1 - 1 }' || true)
  outside=$(awk -v a="$esp_a" -v b="$esp_b" '$1 < a || $1 >= b' <<<"$diffs" | head -n 3 | paste -sd, -)
  [ -z "$outside" ] || { note "the disk differs from the image outside the ESP, at byte(s) $outside (sha256 $head_sha, image $img_sha)"; return 1; }
  sectors=$(awk 'NF { s[int($1 / 512)] = 1 } END { print length(s) }' <<<"$diffs")
  # Outside the ESP it is the image byte for byte; inside, writefile may touch the FAT, the root
  # directory, FSInfo and the file's cluster: a handful of sectors, not the image's data.
  [ "$sectors" -le 64 ] || { note "$sectors sectors of the ESP differ from the image: more than writing one small file changes"; return 1; }
  seed=$(MTOOLS_SKIP_CHECK=1 mtype -i "$d/disk.img@@$esp_a" ::/dragonfly-seed.txt 2>&1) || { note "no seed file on the disk's ESP: $seed"; return 1; }
  want=$(printf 'hostname=%s\nseed=%s' "$hw" "$PROV_SEED")
  [ "$seed" = "$want" ] || { note "the ESP's /dragonfly-seed.txt reads \"${seed//$'\n'/\\n}\", want \"${want//$'\n'/\\n}\""; return 1; }
  if [ "$sectors" = 0 ]; then
    [ "$head_sha" = "$img_sha" ] || { note "sha256 $head_sha, image $img_sha"; return 1; }
  fi
  local esp_sha raw_esp_sha
  # The range outside the ESP, hashed on both sides: the figure the report quotes.
  esp_sha=$({ head -c "$esp_a" "$d/disk.img"; tail -c +$((esp_b + 1)) <(head -c "$n" "$d/disk.img"); } | sha256sum | cut -c1-16)
  raw_esp_sha=$({ head -c "$esp_a" "$raw"; tail -c +$((esp_b + 1)) "$raw"; } | sha256sum | cut -c1-16)
  [ "$esp_sha" = "$raw_esp_sha" ] || { note "outside the ESP: sha256 $esp_sha, image $raw_esp_sha"; return 1; }
  note "written range $n bytes: identical to the image outside the ESP (sha256 ${esp_sha}…); $sectors ESP sector(s) changed by writefile; whole range sha256 ${head_sha:0:16}…, image ${img_sha:0:16}…; seed file reads back: hostname=$hw"
}

# The iPXE path (local boot by sanboot): with auto (the default) an unknown arm64 machine gets the
# signed chain first (39-arm64-secure-boot.sh).
scenario_arm64_provision() {
  cp_secure_boot off
  a64p_run
  unset DRAGONFLY_SECURE_BOOT
  CP_MODE="" # the next scenario gets a control plane without the setting
}

a64p_run() {
  local p=arm64-provision name=dfp-arm64 d
  if ! has_arm64_agent_image; then
    local why="no arm64 agent image in dist/agent-image-arm64 (npm run build:agent-image -- --arch arm64)"
    if [ "${LAB_REQUIRE_AGENT:-0}" = 1 ]; then record "$p: image written" FAIL 0 "$why"; else skip "$p: image written" "$why"; fi
    return 0
  fi
  check "$p: arm64 disk served, template applied" a64p_prepare
  passed || return 0
  d=$(vm_dir "$name")
  a64p_boot "$name"
  check "$p: registered" ck_registered "$name" "$A64P_MAC"
  passed && papi revision >"$d/revision" && check "$p: assigned" ck_assign "$name" "$A64P_MAC" "$A64P_TEMPLATE"
  passed && check "$p: Succeeded with progress" ck_a64p_progress "$name"
  passed && check "$p: disk equals the image" ck_a64p_disk "$name"
  if passed; then
    a64p_boot "$name"
    check "$p: reboot, NIC first: iPXE sanboot -> installed OS" ck_local_boot "$name" uefi "$A64P_MAC" ipxe
    passed && check "$p: Ready" ck_ready "$A64P_MAC"
  fi
  vm_stop "$name"
}
