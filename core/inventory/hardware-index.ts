import type { Hardware } from '../model/hardware.ts';
import type { Store, Unwatch } from '../store/store.ts';

/**
 * MAC → Hardware name, and the set of taken display names, kept current by a store watch
 * so the boot path never lists 10,000 objects to answer one machine.
 */
export class HardwareIndex {
  private readonly byMac = new Map<string, string>();
  private readonly byUuid = new Map<string, string>();
  private readonly macsOf = new Map<string, string[]>();
  private readonly secureBootOf = new Map<string, boolean>(); // the agent's last fact; absent: unknown
  private readonly names = new Map<string, string>(); // display name → object name
  private unwatch: Unwatch | undefined;

  constructor(private readonly store: Store) {}

  async start(): Promise<void> {
    const { items, revision } = await this.store.list<Hardware>('Hardware');
    for (const hw of items) this.put(hw);
    this.unwatch = await this.store.watch({ kind: 'Hardware', fromRevision: revision }, (e) => {
      if (e.type === 'DELETED') this.remove(e.object.metadata.name);
      else this.put(e.object as Hardware);
    });
  }

  stop(): void {
    this.unwatch?.();
  }

  put(hw: Hardware): void {
    this.remove(hw.metadata.name);
    const name = hw.metadata.name;
    this.macsOf.set(name, hw.spec.macs);
    if (hw.spec.facts?.secureBoot !== undefined) this.secureBootOf.set(name, hw.spec.facts.secureBoot);
    for (const m of hw.spec.macs) this.byMac.set(m, name);
    const uuid = hw.spec.facts?.dmi.uuid;
    if (uuid) this.byUuid.set(uuid.toLowerCase(), name);
    if (hw.spec.displayName) this.names.set(hw.spec.displayName, name);
  }

  remove(name: string): void {
    for (const m of this.macsOf.get(name) ?? []) if (this.byMac.get(m) === name) this.byMac.delete(m);
    this.macsOf.delete(name);
    this.secureBootOf.delete(name);
    for (const [k, v] of this.byUuid) if (v === name) this.byUuid.delete(k);
    for (const [k, v] of this.names) if (v === name) this.names.delete(k);
  }

  nameByMac(mac: string): string | undefined {
    return this.byMac.get(mac);
  }

  /** Whether the machine with this MAC last reported Secure Boot on; undefined: not known (DHCP asks: core/app/secure-boot.ts). */
  secureBootByMac(mac: string): boolean | undefined {
    const name = this.byMac.get(mac);
    return name === undefined ? undefined : this.secureBootOf.get(name);
  }

  nameByUuid(uuid: string): string | undefined {
    return this.byUuid.get(uuid.toLowerCase());
  }

  isDisplayNameTaken(displayName: string, except?: string): boolean {
    const owner = this.names.get(displayName);
    return owner !== undefined && owner !== except;
  }
}
