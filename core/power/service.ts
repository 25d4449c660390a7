import type { Hardware } from '../model/hardware.ts';

/** What the API needs from power control; core/power provides the implementation. */
export interface PowerService {
  act(machine: string, action: 'on' | 'off' | 'cycle' | 'reset' | 'softOff' | 'status'): Promise<{ state: string }>;
  driverFor?(hw: Hardware): unknown;
}
