import type { Hardware } from '../model/hardware.ts';

export type PowerActionName = 'on' | 'off' | 'cycle' | 'reset' | 'softOff' | 'status';

/** What the API needs from power control; core/app/power-control.ts implements it. */
export interface PowerService {
  act(machine: string, action: PowerActionName): Promise<{ state: string }>;
  bulk(machines: string[], action: PowerActionName): Promise<Array<{ machine: string; state?: string; error?: { code: string; message: string } }>>;
  driverFor?(hw: Hardware): unknown;
}
