/**
 * PowerDriver over native IPMI v2.0 / RMCP+ (no ipmitool needed, so it works the same on
 * Windows and macOS laptops). One session per driver, opened on first use and reused.
 */
import { PowerError, type NextBoot, type PowerDriver, type PowerState } from '../driver.ts';
import { isDragonflyError } from '../../shared/errors.ts';
import {
  bootInfoAcknowledge, chassisControl, getChassisStatus, parsePowerOn, setBootFlags, type ChassisActionName,
} from './commands.ts';
import { IpmiSession, type IpmiSessionOptions } from './session.ts';
import { isDecodeError } from './wire.ts';

export type IpmiDriverOptions = IpmiSessionOptions;

/** Completion code 0xD5: "command not supported in present state" (e.g. power cycle while off). */
const NOT_IN_PRESENT_STATE = 0xd5;

export interface IpmiDriver extends PowerDriver {
  readonly protocol: 'ipmi';
  readonly session: IpmiSession;
}

export function createIpmiDriver(opts: IpmiDriverOptions): IpmiDriver {
  const session = new IpmiSession(opts);
  const control = async (action: ChassisActionName) => {
    await session.command(chassisControl(action));
  };
  return {
    protocol: 'ipmi',
    session,
    async status(): Promise<PowerState> {
      return parsePowerOnOrThrow(await session.command(getChassisStatus()), session.peer) ? 'on' : 'off';
    },
    on: () => control('powerUp'),
    off: () => control('powerDown'),
    softOff: () => control('softShutdown'),
    async cycle() {
      // A power cycle of a machine that is off leaves it off on many BMCs (ipmi_sim included);
      // the user asked for the machine to (re)start, so an off machine is powered up instead.
      if (!parsePowerOnOrThrow(await session.command(getChassisStatus()), session.peer)) return control('powerUp');
      try {
        await control('powerCycle');
      } catch (e) {
        // Section 28.3: a BMC may refuse a power cycle while off; the user wanted it running.
        if (!refusedInPresentState(e)) throw e;
        await control('powerUp');
      }
    },
    reset: () => control('hardReset'),
    async setNextBoot(nb: NextBoot) {
      await session.command(setBootFlags(nb));
      try {
        await session.command(bootInfoAcknowledge());
      } catch (e) {
        // Optional parameter: the flags are set; some BMCs simply do not implement it.
        if (!isDragonflyError(e, 'DF_ERR_UNAVAILABLE')) throw e;
      }
    },
    close: () => session.close(),
  };
}

function parsePowerOnOrThrow(data: Uint8Array, peer: string): boolean {
  const on = parsePowerOn(data);
  if (isDecodeError(on)) throw new PowerError('ipmi', 'DF_ERR_INTERNAL', `BMC ${peer}: ${on.message}`);
  return on;
}

function refusedInPresentState(e: unknown): boolean {
  const details = isDragonflyError(e, 'DF_ERR_UNAVAILABLE') ? (e.details as { completionCode?: number } | undefined) : undefined;
  return details?.completionCode === NOT_IN_PRESENT_STATE;
}
