/**
 * One boot, seen from three servers: DHCP knows the MAC and the address it gave, TFTP only
 * the client's address, HTTP the address and (for the script) the MAC in the query. The
 * timeline correlates them by address so every step lands on the machine it belongs to.
 */
import type { DhcpEvent } from '../dhcp/events.ts';
import type { TftpEvent } from '../tftp/server.ts';
import type { BootFate } from './fate.ts';
import type { Firmware } from './bootfile.ts';
import { EnrolmentGate } from './enrolment.ts';
import { IpxeRefusals } from './ipxe-refusal.ts';
import { normalizeIp } from '../shared/ipv4.ts';

/** Where steps go: the inventory's per-machine boot history (Registrar.recordBootStep). */
export interface BootStepSink {
  recordBootStep(mac: string, step: string, detail?: string): Promise<void>;
}

/** Addresses remembered at most; the oldest is forgotten first. */
const MAX_CLIENTS = 10_000;

const DHCP_STEPS: ReadonlySet<DhcpEvent['type']> = new Set(['offer', 'ack']);

export class BootTimeline {
  private readonly macByIp = new Map<string, string>();
  /** Which machines' firmware refused the unsigned iPXE (Secure Boot turned on since): the same events teach it. */
  readonly ipxeRefusals = new IpxeRefusals();

  constructor(
    private readonly sink: BootStepSink,
    /** Who may receive an enrolment token: it learns from the same DHCP events. */
    readonly enrolment: EnrolmentGate = new EnrolmentGate(),
  ) {}

  /** The MAC last seen at this address (DHCP lease or script request). */
  macOf(ip: string): string | undefined {
    return this.macByIp.get(normalizeIp(ip));
  }

  dhcp(e: DhcpEvent): void {
    void this.enrolment.observe(e); // the DHCP reply does not wait for the backend
    this.ipxeRefusals.dhcp(e);
    if (e.ip && e.ip !== '0.0.0.0') this.learn(e.ip, e.mac);
    if (!DHCP_STEPS.has(e.type)) return;
    const ip = e.ip && e.ip !== '0.0.0.0' ? ` ${e.ip}` : '';
    this.record(e.mac, 'dhcp', `${e.type} ${e.mode}${ip}${e.arch ? ` ${e.arch}` : ''}${e.bootfile ? ` → ${e.bootfile}` : ''}`);
  }

  tftp(e: TftpEvent): void {
    if (e.type !== 'transfer-done') return;
    const mac = this.macOf(e.client.address);
    if (mac) this.record(mac, 'tftp', `${e.path} ${e.bytes} bytes`);
  }

  /** iPXE fetched its script: the request names the MAC, so it also teaches us the address. */
  script(mac: string, ip: string | undefined, fate: BootFate, firmware: Firmware): Promise<void> {
    if (ip) this.learn(ip, mac);
    this.ipxeRefusals.ran(mac);
    return this.record(mac, 'script', `${fate.kind} (${firmware})`);
  }

  /** A boot file fetched over HTTP (agent kernel, initramfs): known only by address. */
  httpFile(ip: string, file: string): void {
    const mac = this.macOf(ip);
    if (mac) this.record(mac, 'http', file);
  }

  private learn(ip: string, mac: string): void {
    const key = normalizeIp(ip);
    this.macByIp.delete(key);
    this.macByIp.set(key, mac);
    if (this.macByIp.size > MAX_CLIENTS) this.macByIp.delete(this.macByIp.keys().next().value!);
  }

  private record(mac: string, step: string, detail: string): Promise<void> {
    // The timeline is a convenience: a store hiccup must never fail a boot.
    return this.sink.recordBootStep(mac, step, detail).catch(() => {});
  }
}
