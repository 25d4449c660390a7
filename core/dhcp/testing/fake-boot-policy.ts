/**
 * A stand-in BootPolicy for the DHCP library's own tests: the library must put whatever the
 * policy answers on the wire, so these names are test data, not the control plane's table
 * (that lives in core/boot/bootfile.ts).
 */
import type { BootPolicy } from '../boot-policy.ts';

export interface FakeBootUrls {
  /** Answer for clients already running iPXE. */
  ipxeScriptUrl: string;
  /** Prefix for UEFI HTTP boot clients. */
  httpBootBase: string;
}

export function fakeBootPolicy(urls: FakeBootUrls): BootPolicy {
  return (c) => {
    if (c.isIpxe) return { bootfile: urls.ipxeScriptUrl };
    if (c.isHttpClient) return { bootfile: `${urls.httpBootBase}snponly.efi`, vendorClass: 'HTTPClient' };
    if (!c.isPxe) return undefined;
    if (c.arch === 'bios') return { bootfile: 'undionly.kpxe' };
    return c.arch === 'uefi-x64' ? { bootfile: 'snponly.efi' } : undefined;
  };
}
