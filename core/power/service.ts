import type { PowerAction } from '../contract/power.ts';
import type { Hardware } from '../model/hardware.ts';

export type { PowerAction };

/** What the API needs from power control; core/fleet/power-control.ts implements it. */
export interface PowerService {
  act(machine: string, action: PowerAction): Promise<{ state: string }>;
  bulk(machines: string[], action: PowerAction): Promise<Array<{ machine: string; state?: string; error?: { code: string; message: string } }>>;
  driverFor?(hw: Hardware): unknown;
}

/** Power hooks used when a machine has a working driver (power issue); absent → nothing happens. */
export interface ProvisioningPower {
  /** Next boot from the network, then power-cycle: the machine PXE-boots into the workflow. */
  bootIntoProvisioning(hw: Hardware): Promise<void>;
  /** Next boot from disk. */
  bootFromDisk(hw: Hardware): Promise<void>;
}
