import type { Hardware } from '../model/hardware.ts';

import type { PowerAction } from '../contract/power.ts';

export type { PowerAction };

/** What the API needs from power control; core/app/power-control.ts implements it. */
export interface PowerService {
  act(machine: string, action: PowerAction): Promise<{ state: string }>;
  bulk(machines: string[], action: PowerAction): Promise<Array<{ machine: string; state?: string; error?: { code: string; message: string } }>>;
  driverFor?(hw: Hardware): unknown;
}
