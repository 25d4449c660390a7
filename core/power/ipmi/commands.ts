/**
 * The IPMI commands Dragonfly sends, as pure request builders and response parsers
 * (IPMI v2.0 sections 22 and 28). A response `data` array starts after the completion code.
 */
import { decodeError, type DecodeError } from './wire.ts';
import type { NextBoot } from '../driver.ts';

export const NetFn = { chassis: 0x00, app: 0x06 } as const;

export interface IpmiRequest {
  netFn: number;
  command: number;
  data: Uint8Array;
  /** What the request does, for error messages ("Chassis Control power up"). */
  label: string;
}

/** Privilege levels, section 6.8. */
export const Privilege = { callback: 1, user: 2, operator: 3, administrator: 4 } as const;

/** Get Channel Authentication Capabilities (section 22.13): channel 0x0E = this one, bit 7 = want v2.0 data. */
export const getChannelAuthCapabilities = (privilege: number): IpmiRequest => ({
  netFn: NetFn.app, command: 0x38, data: Uint8Array.of(0x8e, privilege), label: 'Get Channel Authentication Capabilities',
});

export interface ChannelAuthCapabilities {
  channel: number;
  ipmi20: boolean; // byte 4 bit 1: the channel supports IPMI v2.0 / RMCP+ sessions
  kgSet: boolean; // byte 3 bit 5: a non-zero BMC key Kg is configured
}

export function parseChannelAuthCapabilities(data: Uint8Array): ChannelAuthCapabilities | DecodeError {
  if (data.length < 8) return decodeError('channelAuthCapabilities.length', `${data.length} bytes, want 8`);
  const extended = (data[1] & 0x80) !== 0;
  return { channel: data[0], ipmi20: extended && (data[3] & 0x02) !== 0, kgSet: (data[2] & 0x20) !== 0 };
}

/** Set Session Privilege Level (section 22.18): a new session starts at User level. */
export const setSessionPrivilege = (privilege: number): IpmiRequest => ({
  netFn: NetFn.app, command: 0x3b, data: Uint8Array.of(privilege), label: 'Set Session Privilege Level',
});

/** Close Session (section 22.19): the BMC's session ID, little-endian. */
export const closeSession = (bmcSessionId: number): IpmiRequest => ({
  netFn: NetFn.app, command: 0x3c,
  data: Uint8Array.of(bmcSessionId & 0xff, (bmcSessionId >>> 8) & 0xff, (bmcSessionId >>> 16) & 0xff, bmcSessionId >>> 24),
  label: 'Close Session',
});

export const getChassisStatus = (): IpmiRequest => ({
  netFn: NetFn.chassis, command: 0x01, data: new Uint8Array(0), label: 'Get Chassis Status',
});

/** Get Chassis Status response (section 28.2): byte 1 bit 0 = system power is on. */
export function parsePowerOn(data: Uint8Array): boolean | DecodeError {
  if (data.length < 3) return decodeError('chassisStatus.length', `${data.length} bytes, want at least 3`);
  return (data[0] & 0x01) !== 0;
}

/** Chassis Control actions (section 28.3, table 28-4). */
export const ChassisAction = { powerDown: 0, powerUp: 1, powerCycle: 2, hardReset: 3, pulseDiagnostic: 4, softShutdown: 5 } as const;
export type ChassisActionName = keyof typeof ChassisAction;

export const chassisControl = (action: ChassisActionName): IpmiRequest => ({
  netFn: NetFn.chassis, command: 0x02, data: Uint8Array.of(ChassisAction[action]), label: `Chassis Control ${action}`,
});

/** Boot device selector, boot flags data 2 bits 5:2 (table 28-14). */
export const BootDeviceSelector = { pxe: 0x04, disk: 0x08 } as const;

/**
 * Boot flags, boot option parameter 5 (section 28.13, table 28-14): data 1 bit 7 valid,
 * bit 6 persistent (all future boots), bit 5 EFI boot; data 2 the device; data 3-5 zero.
 */
export function bootFlags(nb: NextBoot): Uint8Array {
  const data1 = 0x80 | (nb.persistent ? 0x40 : 0) | (nb.uefi ? 0x20 : 0);
  return Uint8Array.of(data1, BootDeviceSelector[nb.device], 0, 0, 0);
}

/** Set System Boot Options (section 28.12): parameter selector, then the parameter data. */
export const setBootFlags = (nb: NextBoot): IpmiRequest => ({
  netFn: NetFn.chassis, command: 0x08, data: Uint8Array.of(5, ...bootFlags(nb)),
  label: `Set System Boot Options (boot ${nb.device}${nb.persistent ? ' persistent' : ''}${nb.uefi ? ' EFI' : ''})`,
});

/**
 * Boot info acknowledge, parameter 4: write mask 0x01, clear the "BIOS/POST has handled
 * the boot info" bit, as ipmitool does, so the BIOS acts on the new flags.
 */
export const bootInfoAcknowledge = (): IpmiRequest => ({
  netFn: NetFn.chassis, command: 0x08, data: Uint8Array.of(4, 0x01, 0x01), label: 'Set System Boot Options (boot info acknowledge)',
});

/** Completion codes (section 5.2, table 5-2) worth naming in an error message. */
const completionCodes: Record<number, string> = {
  0xc0: 'node busy', 0xc1: 'invalid command', 0xc3: 'timeout', 0xc4: 'out of space', 0xc7: 'request data length invalid',
  0xc9: 'parameter out of range', 0xcc: 'invalid data field', 0xcd: 'command illegal for this sensor',
  0xce: 'response could not be provided', 0xd4: 'insufficient privilege level', 0xd5: 'command not supported in present state',
  0xd6: 'parameter is illegal because command sub-function has been disabled or is unavailable', 0xff: 'unspecified error',
};

export const completionCodeText = (cc: number): string =>
  `completion code 0x${cc.toString(16).padStart(2, '0')}${completionCodes[cc] ? ` (${completionCodes[cc]})` : ''}`;
