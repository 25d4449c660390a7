/**
 * The DHCP modes, one list: the settings schema (core/contract/settings.ts) is built from it and
 * the DHCP server (core/dhcp, which stays on shared primitives) takes its type from it.
 * full: addresses + boot; proxy: boot information only, beside another DHCP server; off.
 */
export const dhcpModes = ['full', 'proxy', 'off'] as const;
export type DhcpMode = (typeof dhcpModes)[number];
/** The modes in which our DHCP server answers (it does not run when off). */
export type AnsweringDhcpMode = Exclude<DhcpMode, 'off'>;
