/**
 * The seam to core/boot: the server asks the BootPolicy it was given what a client should
 * boot and puts the answer on the wire. The DHCP library itself knows no boot files.
 */
import type { Mac } from '../shared/mac.ts';
import type { ClientClass } from './classify.ts';
import type { DhcpPacket } from './codec.ts';

export interface BootAnswer {
  /** Goes into the `file` field and option 67: a TFTP file name or an http(s) URL. */
  bootfile: string;
  /** siaddr, the TFTP "next server". Default: the DHCP server's own address. */
  nextServer?: string;
  /** Vendor class (60) to put in the reply; UEFI HTTP boot needs "HTTPClient" echoed. */
  vendorClass?: 'PXEClient' | 'HTTPClient';
  /** Option 66, only if set (some ROMs prefer siaddr; few need 66). */
  tftpServerName?: string;
}

/** undefined: give this client no boot information (full mode still leases it an address). */
export type BootPolicy = (client: ClientClass, mac: Mac, request: DhcpPacket) => BootAnswer | undefined | Promise<BootAnswer | undefined>;

export const noBootPolicy: BootPolicy = () => undefined;
