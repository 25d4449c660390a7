import type { Hardware } from './hardware.ts';

/** Steps kept in a machine's status.bootHistory; older ones are dropped first. */
export const BOOT_HISTORY_LIMIT = 60;

/** Appends one step of the machine's timeline (boot steps, registration, workflow steps). */
export function appendHistory(hw: Hardware, step: string, detail?: string, at = new Date().toISOString()): void {
  const status = (hw.status ??= { state: 'Discovered' });
  const history = (status.bootHistory ??= []);
  history.push(detail ? { at, step, detail } : { at, step });
  if (history.length > BOOT_HISTORY_LIMIT) history.splice(0, history.length - BOOT_HISTORY_LIMIT);
}
