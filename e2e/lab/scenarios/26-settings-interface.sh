# Issue 12 point 4: the technician starts Dragonfly with no interface, then chooses dflbr0
# through PUT /api/v1/settings/network. The boot URL must follow: at start dflbr0 has no IPv4
# address yet (the cable is not plugged), so the only address of the host is dflbr1's and
# that is what machines would be told; after the choice, a BIOS VM on dflbr0 must be sent to
# dflbr0's address and reach the agent. A boot URL computed once at start-up fails this.
SCENARIOS+=(settings_interface)

SETTINGS_MAC=52:54:00:98:00:26

settings_body() {
  printf '{"interface":"%s","dhcpMode":"full","range":{"start":"%s","end":"%s"},"dns":[],"leaseSeconds":3600,"tftpPort":69,"httpPort":%s}' \
    "$BR0" "${FULL_RANGE%-*}" "${FULL_RANGE#*-}" "$CP_PORT"
}

# The control plane logs each boot URL it computes ("machines are sent to this address").
advertised_urls() { grep -a 'machines are sent to this address' "$CP_LOG" | grep -aoE 'http://[0-9.]+:[0-9]+' | tr '\n' ' '; }

check_put_settings() {
  local out
  out=$(in_srv curl -sS -X PUT -H "Authorization: Bearer $LAB_TOKEN" -H 'content-type: application/json' \
    --data "$(settings_body)" "$CP_URL/api/v1/settings/network") || { note "PUT failed: $out"; return 1; }
  in_srv curl -fsS -H "Authorization: Bearer $LAB_TOKEN" "$CP_URL/api/v1/status" >"$LAB_DIR/status-after-put.json"
  note "boot URLs computed: $(advertised_urls); status: $(grep -oE '"dhcp":\{[^}]*\}' "$LAB_DIR/status-after-put.json")"
  grep -q "\"dhcp\":{\"ok\":true,\"detail\":\"full on $BR0\"" "$LAB_DIR/status-after-put.json" &&
    [ "$(advertised_urls)" = "http://$SRV1_IP:$CP_PORT http://$SRV_IP:$CP_PORT " ]
}

scenario_settings_interface() {
  cp_stop
  site_dhcp_stop
  CP_MODE=unconfigured
  ip -n "$NS_SRV" addr del "$SRV_IP/24" dev "$BR0"
  cp_start unconfigured
  ip -n "$NS_SRV" addr add "$SRV_IP/24" dev "$BR0"
  check "settings: PUT chooses $BR0, boot URL follows" check_put_settings
  boot_vm settings-bios bios dfltap2 "$SETTINGS_MAC" -m 1024
  check "settings: BIOS VM dhcp->script" check_script_boot settings-bios bios dhcp,script full
  if ! passed || ! has_agent_image; then
    agent_unavailable "settings: BIOS VM registered"
  else
    check "settings: BIOS VM registered" check_registered settings-bios bios 1 1024
  fi
  vm_stop settings-bios
  cp_stop
  CP_MODE=""
}
