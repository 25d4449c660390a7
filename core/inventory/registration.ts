import { API_VERSION } from '../model/meta.ts';
import { isAwaitingApproval, type Hardware, type HardwareFacts, type MachineIdentity } from '../model/hardware.ts';
import { transition } from '../model/lifecycle.ts';
import { nameSlug, uniqueMemorableName } from '../model/names.ts';
import { conflict, isDragonflyError } from '../shared/errors.ts';
import { parseMac } from '../shared/mac.ts';
import { mutate } from '../store/mutate.ts';
import type { Store } from '../store/store.ts';
import type { HardwareIndex } from './hardware-index.ts';
import { appendHistory, BOOT_HISTORY_LIMIT } from '../model/boot-history.ts';
import { approveMachine, holdForApproval } from './approval.ts';
import type { EnrolmentMode } from '../contract/enrolment.ts';
import { compareIdentity, identityOf, pinnedIdentity, pinRecord, recordIdentityConflict } from './identity.ts';

/** The shape of the operator notification stream (the same as the workflow engine's). */
export interface InventoryNotification {
  level: 'info' | 'error';
  title: string;
  body: string;
  machine: string;
}

export interface RegistrarOptions {
  /** Identity conflicts and machines awaiting approval, for the operator's notification stream; default: nowhere. */
  notify?: (n: InventoryNotification) => void;
  /** The enrolment setting now (it may change while serving); default open. */
  enrolment?: () => EnrolmentMode;
  /** Runs once registration is stored (zero-touch rules, inventory/rules.ts); returns the machine as it then is. Default: nothing. */
  afterRegistration?: (hw: Hardware) => Promise<Hardware>;
}

/** A bare object the boot path made for a MAC: never registered, one MAC, no facts. */
function isPlaceholder(hw: Hardware): boolean {
  return !hw.spec.facts && hw.spec.macs.length === 1 && (hw.status?.state ?? 'Discovered') === 'Discovered';
}

export class Registrar {
  private readonly pendingSteps = new Map<string, Array<{ at: string; step: string; detail?: string }>>();

  constructor(
    private readonly store: Store,
    private readonly index: HardwareIndex,
    opts: RegistrarOptions = {},
  ) {
    this.notify = opts.notify ?? (() => {});
    this.enrolment = opts.enrolment ?? (() => 'open');
    this.afterRegistration = opts.afterRegistration ?? (async (hw) => hw);
  }

  private readonly afterRegistration: (hw: Hardware) => Promise<Hardware>;

  private readonly notify: (n: InventoryNotification) => void;
  private readonly enrolment: () => EnrolmentMode;

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
   * The agent's report. The machine is the one holding the boot MAC (or, for a MAC never seen,
   * the SMBIOS UUID). Its identity is pinned at the first registration; a different one is
   * refused (409) and left on the machine for the operator. A MAC of the facts held by another
   * machine is refused naming the holder: a MAC belongs to one machine.
   */
  async register(bootMac: string, facts: HardwareFacts): Promise<Hardware> {
    const mac = parseMac(bootMac);
    const allMacs = [mac, ...facts.nics.map((n) => n.mac).filter((m) => m !== mac)];
    const offered = identityOf(facts);
    const { name, placeholder } = await this.machineFor(mac, allMacs, offered, facts.dmi.uuid);
    const pinned = pinnedIdentity(await this.store.get<Hardware>('Hardware', name));
    const verdict = pinned ? compareIdentity(pinned, offered) : { kind: 'same' as const };
    if (verdict.kind === 'conflict') await this.refuseIdentity(name, offered, verdict.reason);
    // A machine's first report under `enrolment: approve` keeps it Discovered (facts kept) until approved.
    const hold = !pinned && this.enrolment() === 'approve';
    const updated = await mutate<Hardware>(this.store, 'Hardware', name, (hw) => {
      hw.spec.macs = [...new Set([...hw.spec.macs, ...allMacs])];
      hw.spec.facts = facts;
      const record = hw.status?.identity;
      const identity = record && verdict.kind === 'same' ? record : pinRecord(offered);
      hw.status = { ...(hw.status ?? { state: 'Discovered' }), lastSeen: new Date().toISOString(), identity };
      if (hold) holdForApproval(hw);
      if (!isAwaitingApproval(hw)) hw.status.state = transition(hw.status.state, 'registered');
      if (verdict.kind === 'disks-changed') appendHistory(hw, 'identity', `disks changed (added ${verdict.added.join(', ') || 'none'}; removed ${verdict.removed.join(', ') || 'none'})`);
      appendHistory(hw, 'agent', 'registered');
      return hw;
    });
    if (hold) this.notify({ level: 'info', title: `${updated.spec.displayName ?? name} awaits approval`, body: 'a new machine registered; approve it before it can be assigned', machine: name });
    if (placeholder) await this.dropPlaceholder(placeholder);
    this.index.put(updated);
    return this.afterRegistration(updated);
  }

  /** The operator's approval; the machine is then judged by the rules as at registration. */
  async approve(name: string): Promise<Hardware> {
    return this.afterRegistration(await approveMachine(this.store, name));
  }

  /** Records the conflict (notifying once per new identity) and refuses the registration. */
  private async refuseIdentity(name: string, offered: MachineIdentity, reason: string): Promise<never> {
    const hw = await this.store.get<Hardware>('Hardware', name);
    if (await recordIdentityConflict(this.store, name, offered, reason)) {
      const label = hw.spec.displayName ?? name;
      this.notify({ level: 'error', title: `${label}: identity conflict`, body: `registration refused: ${reason}`, machine: name });
    }
    throw conflict(`identity conflict on machine ${name}: ${reason}; an operator must accept the new identity (POST /api/v1/hardware/${name}/identity)`);
  }

  /**
   * Which machine this registration is about. Another machine holding one of the MACs is a
   * refusal, except the one legitimate case: the machine booted from a NIC not seen before
   * (the boot path made a bare placeholder for it) and its identity matches the holder's.
   */
  private async machineFor(mac: string, allMacs: string[], offered: MachineIdentity, uuid: string | undefined) {
    const bootHolder = this.index.nameByMac(mac) ?? (uuid ? this.index.nameByUuid(uuid) : undefined);
    const others = allMacs.map((m) => ({ mac: m, holder: this.index.nameByMac(m) })).filter((o) => o.holder && o.holder !== bootHolder);
    if (!others.length) return { name: bootHolder ?? (await this.ensureDiscovered(mac)).metadata.name };
    const holders = [...new Set(others.map((o) => o.holder!))];
    const boot = bootHolder ? await this.store.get<Hardware>('Hardware', bootHolder) : undefined;
    if (holders.length === 1 && (!boot || isPlaceholder(boot))) {
      const pinned = pinnedIdentity(await this.store.get<Hardware>('Hardware', holders[0]));
      if (pinned && compareIdentity(pinned, offered).kind !== 'conflict') return { name: holders[0], placeholder: bootHolder };
    }
    const { mac: taken, holder } = others[0];
    throw conflict(`MAC ${taken} belongs to machine ${holder}; a MAC belongs to one machine (remove it there first if it really moved)`);
  }

  private async dropPlaceholder(name: string): Promise<void> {
    await this.store.delete('Hardware', name).catch((e) => {
      if (!isDragonflyError(e, 'DF_ERR_NOT_FOUND')) throw e;
    });
    this.index.remove(name);
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
