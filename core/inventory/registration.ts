import { API_VERSION } from '../model/meta.ts';
import type { Hardware, HardwareFacts } from '../model/hardware.ts';
import { transition } from '../model/lifecycle.ts';
import { nameSlug, uniqueMemorableName } from '../model/names.ts';
import { isDragonflyError } from '../shared/errors.ts';
import { parseMac } from '../shared/mac.ts';
import { mutate } from '../store/mutate.ts';
import type { Store } from '../store/store.ts';
import type { HardwareIndex } from './hardware-index.ts';
import { appendHistory, BOOT_HISTORY_LIMIT } from '../model/boot-history.ts';

export class Registrar {
  private readonly pendingSteps = new Map<string, Array<{ at: string; step: string; detail?: string }>>();

  constructor(
    private readonly store: Store,
    private readonly index: HardwareIndex,
  ) {}

  /** The Hardware object of a machine that boots for the first time, in state Discovered. */
  async ensureDiscovered(macInput: string): Promise<Hardware> {
    const mac = parseMac(macInput);
    const existing = this.index.nameByMac(mac);
    if (existing) return this.store.get<Hardware>('Hardware', existing);
    const displayName = uniqueMemorableName(mac, (n) => this.index.isDisplayNameTaken(n));
    const hw: Hardware = {
      apiVersion: API_VERSION,
      kind: 'Hardware',
      metadata: { name: nameSlug(displayName) },
      spec: { macs: [mac], displayName },
      status: { state: 'Discovered', lastSeen: new Date().toISOString(), bootHistory: this.pendingSteps.get(mac) ?? [] },
    };
    this.pendingSteps.delete(mac);
    try {
      const created = await this.store.create(hw);
      this.index.put(created);
      return created;
    } catch (e) {
      // Another request for the same MAC won the race: that object is the machine.
      if (isDragonflyError(e, 'DF_ERR_ALREADY_EXISTS')) return this.store.get<Hardware>('Hardware', hw.metadata.name);
      throw e;
    }
  }

  /**
   * The agent's report. Identity is the MAC set plus the SMBIOS UUID: the same machine is
   * the same object on every boot, whichever NIC it booted from.
   */
  async register(bootMac: string, facts: HardwareFacts): Promise<Hardware> {
    const mac = parseMac(bootMac);
    const allMacs = [mac, ...facts.nics.map((n) => n.mac).filter((m) => m !== mac)];
    const known =
      allMacs.map((m) => this.index.nameByMac(m)).find(Boolean) ?? (facts.dmi.uuid ? this.index.nameByUuid(facts.dmi.uuid) : undefined);
    const name = known ?? (await this.ensureDiscovered(mac)).metadata.name;
    const updated = await mutate<Hardware>(this.store, 'Hardware', name, (hw) => {
      hw.spec.macs = [...new Set([...hw.spec.macs, ...allMacs])];
      hw.spec.facts = facts;
      const state = hw.status?.state ?? 'Discovered';
      hw.status = { ...hw.status, state: transition(state, 'registered'), lastSeen: new Date().toISOString() };
      appendHistory(hw, 'agent', 'registered');
      return hw;
    });
    this.index.put(updated);
    return updated;
  }

  async heartbeat(name: string): Promise<Hardware> {
    return mutate<Hardware>(this.store, 'Hardware', name, (hw) => {
      hw.status = { ...(hw.status ?? { state: 'Discovered' }), lastSeen: new Date().toISOString() };
      hw.status.conditions = (hw.status.conditions ?? []).filter((c) => c.type !== 'AgentLost');
      return hw;
    });
  }

  /** A boot step (dhcp, tftp, script, ...) for the machine's timeline; kept until the object exists. */
  async recordBootStep(macInput: string, step: string, detail?: string): Promise<void> {
    const mac = parseMac(macInput);
    const name = this.index.nameByMac(mac);
    const entry = { at: new Date().toISOString(), step, ...(detail ? { detail } : {}) };
    if (!name) {
      const list = this.pendingSteps.get(mac) ?? [];
      list.push(entry);
      this.pendingSteps.set(mac, list.slice(-BOOT_HISTORY_LIMIT));
      if (this.pendingSteps.size > 10_000) this.pendingSteps.delete(this.pendingSteps.keys().next().value!);
      return;
    }
    // Not lastSeen: that is the agent's liveness (inventory/liveness.ts). A machine whose agent
    // never comes up re-chains every 10 s; counting those fetches would hide it from AgentLost.
    await mutate<Hardware>(this.store, 'Hardware', name, (hw) => {
      appendHistory(hw, entry.step, entry.detail, entry.at);
      return hw;
    });
  }
}
