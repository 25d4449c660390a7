# Issue 14 in the lab: a second VM pretends to be the first (same MAC, same UUID, another
# SMBIOS serial) after the first registered. Its registration is refused as an identity
# conflict, shown on the machine, and the machine keeps its pinned identity and facts. And the
# enrolment binding: a boot script asked from an address without this MAC's DHCP exchange
# carries no token.
SCENARIOS+=(impostor)

IMPOSTOR_MAC=52:54:00:98:00:24
IMPOSTOR_UUID=98002400-0000-4000-8000-000000000024
REAL_SERIAL=DFL-REAL-0024
FAKE_SERIAL=DFL-IMPOSTOR-0024

impostor_vm() { # NAME SERIAL
  boot_vm "$1" bios dfltap1 "$IMPOSTOR_MAC" -uuid "$IMPOSTOR_UUID" -smbios "type=1,serial=$2"
}

check_object_kept() { # "name uid" of the first registration
  local now_id; now_id=$(api show --mac "$IMPOSTOR_MAC" | cut -f1,2)
  note "first $1, after the impostor $now_id"
  [ "$now_id" = "$1" ]
}

check_identity_conflict() {
  local out
  out=$(api identity-conflict --mac "$IMPOSTOR_MAC" --pinned-serial "$REAL_SERIAL" --offered-serial "$FAKE_SERIAL" \
    --timeout "${LAB_AGENT_TIMEOUT:-300}") || { note "$out"; return 1; }
  note "$out"
}

scenario_impostor() {
  need_cp full
  impostor_vm impostor-real "$REAL_SERIAL"
  check "impostor: real dhcp->script" check_script_boot impostor-real bios dhcp,script full
  if ! passed || ! has_agent_image; then
    agent_unavailable "impostor: real registered"
    vm_stop impostor-real
    return 0
  fi
  check "impostor: real registered" check_registered impostor-real bios 1 512
  vm_stop impostor-real
  passed || return 0
  local first; first=$(api show --mac "$IMPOSTOR_MAC" | cut -f1,2) || true
  impostor_vm impostor-fake "$FAKE_SERIAL"
  check "impostor: fake dhcp->script" check_script_boot impostor-fake bios dhcp,script full
  passed && check "impostor: refused as identity conflict" check_identity_conflict
  check "impostor: same object" check_object_kept "$first"
  check "impostor: no token for another host" check_no_token_elsewhere "$IMPOSTOR_MAC"
  vm_stop impostor-fake
}
