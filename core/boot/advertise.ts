/**
 * The address machines are sent to (boot file URLs, scripts, the agent's dragonfly.url).
 * Recomputed whenever the provisioning interface or the advertise address changes: a laptop
 * whose operator picks the interface after start-up must not keep sending machines to an
 * address on another network.
 */
export interface AdvertiseInput {
  /** An explicit address wins (e.g. the control plane is reached through NAT). */
  advertiseAddress?: string;
  /** The provisioning interface's IPv4 address, when one is chosen and has one. */
  interfaceAddress?: string;
  /** The address the HTTP server listens on; 0.0.0.0 means every interface. */
  listen: string;
  /** The HTTP port actually bound. */
  port: number;
  /** When listening everywhere with no interface chosen: some non-internal address of this host. */
  fallbackAddress?: () => string | undefined;
}

/**
 * The interface's own address comes before the operator listener's: the boot surface answers
 * there (a wildcard listener, or the boot listener core/app binds on it), while the operator
 * API listens on loopback by default.
 */
export function advertisedHost(i: AdvertiseInput): string {
  if (i.advertiseAddress) return i.advertiseAddress;
  if (i.interfaceAddress) return i.interfaceAddress;
  if (i.listen !== '0.0.0.0' && i.listen !== '::') return i.listen;
  return i.fallbackAddress?.() ?? '127.0.0.1';
}

export function advertisedBase(i: AdvertiseInput): string {
  return `http://${advertisedHost(i)}:${i.port}`;
}
