/**
 * Translating a NextBoot into the ComputerSystem `Boot` PATCH body (Redfish ComputerSystem
 * schema: BootSourceOverrideEnabled / Target / Mode). Pure.
 */
import type { NextBoot } from '../driver.ts';
import { field } from './redfish-error.ts';

export interface BootPatch {
  Boot: {
    BootSourceOverrideEnabled: 'Once' | 'Continuous';
    BootSourceOverrideTarget: 'Pxe' | 'Hdd';
    BootSourceOverrideMode?: 'UEFI' | 'Legacy';
  };
}

export type BootPatchResult = { ok: true; patch: BootPatch } | { ok: false; reason: string };

/**
 * `boot` is the system's current `Boot` object. The mode is sent only when the system exposes
 * BootSourceOverrideMode: older BMCs reject an unknown property with 400 PropertyUnknown.
 */
export function bootPatchFor(nb: NextBoot, boot: unknown): BootPatchResult {
  const target = nb.device === 'pxe' ? 'Pxe' : 'Hdd';
  const mode = nb.uefi ? 'UEFI' : 'Legacy';
  const enabled = nb.persistent ? 'Continuous' : 'Once';
  for (const [prop, value] of [
    ['BootSourceOverrideTarget', target],
    ['BootSourceOverrideEnabled', enabled],
  ] as const) {
    const allowed = allowableValues(boot, prop);
    if (allowed && !allowed.includes(value)) {
      return { ok: false, reason: `the BMC allows ${prop} ${JSON.stringify(allowed)}, not "${value}"` };
    }
  }
  const patch: BootPatch = { Boot: { BootSourceOverrideEnabled: enabled, BootSourceOverrideTarget: target } };
  if (field(boot, 'BootSourceOverrideMode') !== undefined) {
    const allowedModes = allowableValues(boot, 'BootSourceOverrideMode');
    if (allowedModes && !allowedModes.includes(mode)) {
      return { ok: false, reason: `the BMC allows BootSourceOverrideMode ${JSON.stringify(allowedModes)}, not "${mode}"` };
    }
    patch.Boot.BootSourceOverrideMode = mode;
  }
  return { ok: true, patch };
}

/** `obj["<prop>@Redfish.AllowableValues"]` when it is a list of strings. */
export function allowableValues(obj: unknown, prop: string): string[] | undefined {
  const v = field(obj, `${prop}@Redfish.AllowableValues`);
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}
