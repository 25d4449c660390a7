/**
 * The one IPv4 check: four decimal octets 0–255 without leading zeros ("01" is refused: some
 * parsers read it as octal). Used by the settings contract, the DHCP library and the UI's form.
 */
const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);

export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

/** Node reports IPv4 peers of a dual-stack socket as "::ffff:10.0.0.5". */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}
