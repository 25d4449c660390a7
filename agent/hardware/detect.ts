import type { HardwareFacts } from '../../core/model/hardware.ts';
import { detectCpu } from './cpu.ts';
import { detectDisks } from './disks.ts';
import { detectMemoryBytes } from './memory.ts';
import { detectNics } from './nics.ts';
import { detectDmi, detectFirmware, detectVirtualization } from './platform.ts';
import { detectSecureBoot } from './secure-boot.ts';
import type { Snapshot } from './snapshot.ts';

/** Everything the agent reports about the machine, from one snapshot; pure. */
export function detectHardware(s: Snapshot): HardwareFacts {
  const firmware = detectFirmware(s);
  const secureBoot = detectSecureBoot(s, firmware);
  return {
    cpu: detectCpu(s),
    memoryBytes: detectMemoryBytes(s),
    disks: detectDisks(s),
    nics: detectNics(s),
    dmi: detectDmi(s),
    firmware,
    virtualization: detectVirtualization(s),
    ...(secureBoot === undefined ? {} : { secureBoot }),
  };
}
