/**
 * The one power-control interface every driver implements (DESIGN.md section 8):
 * IPMI (native RMCP+), Redfish, Wake-on-LAN (power on only) and Proxmox.
 *
 * Drivers throw `PowerError` (a DragonflyError) with these codes, so callers never
 * parse messages:
 * - DF_ERR_UNAUTHORIZED: the BMC/API rejected the credentials.
 * - DF_ERR_TIMEOUT: the endpoint did not answer within the driver's bounded time.
 * - DF_ERR_UNAVAILABLE: the driver cannot do this operation (e.g. WoL cannot power off)
 *   or the endpoint refused it; the message says which.
 * - DF_ERR_INTERNAL: the endpoint answered something the driver cannot make sense of.
 */
import { DragonflyError, type ErrorCode } from '../shared/errors.ts';

export type PowerState = 'on' | 'off' | 'unknown';

/** Where the machine boots next: the network (PXE/iPXE) or its local disk. */
export type BootDevice = 'pxe' | 'disk';

export interface NextBoot {
  device: BootDevice;
  /** true: every following boot; false: the next boot only. */
  persistent: boolean;
  /** true: UEFI boot; false: legacy BIOS boot. */
  uefi: boolean;
}

export type PowerProtocol = 'ipmi' | 'redfish' | 'wol' | 'proxmox';

export interface PowerDriver {
  readonly protocol: PowerProtocol;
  status(): Promise<PowerState>;
  /** Power on (no-op if already on, where the protocol allows). */
  on(): Promise<void>;
  /** Hard power off, without asking the OS. */
  off(): Promise<void>;
  /** Ask the OS to shut down (ACPI power button). Returns once the request is accepted. */
  softOff(): Promise<void>;
  /** Power off then on. */
  cycle(): Promise<void>;
  /** Hard reset without removing power. */
  reset(): Promise<void>;
  setNextBoot(nb: NextBoot): Promise<void>;
  /** Release sockets/sessions. Safe to call twice. */
  close(): Promise<void>;
}

export type PowerErrorCode = Extract<
  ErrorCode,
  'DF_ERR_UNAUTHORIZED' | 'DF_ERR_TIMEOUT' | 'DF_ERR_UNAVAILABLE' | 'DF_ERR_INTERNAL' | 'DF_ERR_INVALID'
>;

/** A power-control failure; `protocol` says which driver raised it. */
export class PowerError extends DragonflyError {
  readonly protocol: PowerProtocol;

  constructor(protocol: PowerProtocol, code: PowerErrorCode, message: string, details?: unknown) {
    super(code, message, details);
    this.name = 'PowerError';
    this.protocol = protocol;
  }
}

export const powerUnauthorized = (protocol: PowerProtocol, message: string) =>
  new PowerError(protocol, 'DF_ERR_UNAUTHORIZED', message);
export const powerTimeout = (protocol: PowerProtocol, message: string) =>
  new PowerError(protocol, 'DF_ERR_TIMEOUT', message);
/** For operations a protocol cannot do, e.g. `unsupported('wol', 'power off')`. */
export const unsupported = (protocol: PowerProtocol, operation: string) =>
  new PowerError(protocol, 'DF_ERR_UNAVAILABLE', `${protocol} driver cannot ${operation}`);
