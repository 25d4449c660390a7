import type { Hardware } from '../model/hardware.ts';
import type { PowerDriver } from '../power/driver.ts';
import { driverFor } from '../power/factory.ts';
import type { SecretStore } from '../power/secrets/secret-store.ts';
import { withBoundedConcurrency } from '../power/bulk.ts';
import type { PowerService, ProvisioningPower } from '../power/service.ts';
import { DragonflyError, isDragonflyError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { Store } from '../store/store.ts';

import type { PowerAction } from '../contract/power.ts';

export type { PowerAction };

/** Power for machines: drivers from each machine's BMC reference and its encrypted credential. */
export class PowerControl implements PowerService, ProvisioningPower {
  constructor(
    private readonly store: Store,
    private readonly credentials: SecretStore,
    private readonly log: Logger,
    /** Bulk actions at once; default 16. */
    private readonly concurrency = 16,
  ) {}

  driverFor(hw: Hardware): PowerDriver {
    const bmc = hw.spec.bmc;
    if (!bmc) throw new DragonflyError('DF_ERR_UNAVAILABLE', `${hw.metadata.name} has no BMC configured (spec.bmc)`);
    const ref = bmc.credentialRef;
    const credential = ref ? this.credentials.get(ref) : undefined;
    if (ref && !credential) throw new DragonflyError('DF_ERR_INVALID', `credential "${ref}" of ${hw.metadata.name} does not exist`);
    return driverFor(bmc, {
      mac: hw.spec.macs[0],
      credential,
      onFingerprint: (fp) => {
        // pinned on first use; a failed write only means it is pinned again next time
        if (ref && credential) void Promise.resolve(this.credentials.set(ref, { ...credential, fingerprint: fp })).catch((e: Error) => this.log.warn({ ref, err: e.message }, 'BMC fingerprint not saved'));
      },
    });
  }

  private async withDriver<T>(hw: Hardware, fn: (d: PowerDriver) => Promise<T>): Promise<T> {
    const d = this.driverFor(hw);
    try {
      return await fn(d);
    } finally {
      await d.close().catch(() => {});
    }
  }

  async act(machine: string, action: PowerAction): Promise<{ state: string }> {
    const hw = await this.store.get<Hardware>('Hardware', machine);
    return this.withDriver(hw, async (d) => {
      if (action === 'status') return { state: await d.status() };
      await d[action]();
      // The action went through; a BMC that cannot report state right after it is not an error.
      return { state: await d.status().catch(() => 'unknown') };
    });
  }

  /** One action over many machines; every machine gets its own result. */
  async bulk(machines: string[], action: PowerAction) {
    const results = await withBoundedConcurrency(machines, this.concurrency, (m) => this.act(m, action));
    return results.map((r) =>
      r.ok ? { machine: r.item, state: r.value.state } : { machine: r.item, error: { code: isDragonflyError(r.error) ? r.error.code : 'DF_ERR_INTERNAL', message: (r.error as Error).message } },
    );
  }

  /** Next boot from the network, then power-cycle (or on, if it was off): it PXE-boots into the workflow. */
  async bootIntoProvisioning(hw: Hardware): Promise<void> {
    await this.withDriver(hw, async (d) => {
      await this.nextBoot(d, { device: 'pxe', persistent: false, uefi: hw.spec.facts?.firmware === 'uefi' });
      const state = await d.status().catch(() => 'unknown');
      if (state === 'on') await d.cycle();
      else await d.on();
      this.log.info({ machine: hw.metadata.name, protocol: d.protocol }, 'power-cycled into provisioning');
    });
  }

  async bootFromDisk(hw: Hardware): Promise<void> {
    await this.withDriver(hw, (d) => this.nextBoot(d, { device: 'disk', persistent: true, uefi: hw.spec.facts?.firmware === 'uefi' }));
  }

  private async nextBoot(d: PowerDriver, nb: Parameters<PowerDriver['setNextBoot']>[0]): Promise<void> {
    try {
      await d.setNextBoot(nb);
    } catch (e) {
      // Wake-on-LAN cannot choose a boot device: the boot script still decides the fate.
      if (d.protocol === 'wol' && isDragonflyError(e, 'DF_ERR_UNAVAILABLE')) return;
      throw e;
    }
  }
}
