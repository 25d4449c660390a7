/**
 * Issue 14: who may receive an enrolment token, and how much an unauthenticated booter may
 * make the server store. Fed by the DHCP events (through BootTimeline), asked by the HTTP boot
 * script route and by agent registration.
 *
 * Evidence that a MAC booted from an address (docs/SECURITY.md):
 * - full mode: our own ACK; its address is the lease we gave (yiaddr), also behind a relay
 *   (giaddr only says where the reply goes, the client still gets yiaddr);
 * - proxy mode: the address the PXE client names in its port-67 REQUEST to the other server
 *   (requested-IP or ciaddr) and the ciaddr of its port-4011 REQUEST that we ACK. A DISCOVER
 *   names no address, so it is no evidence.
 * With DHCP off there is no evidence at all: the gate is open and status says so.
 */
import type { DhcpEvent } from '../dhcp/events.ts';
import { normalizeIp } from '../shared/ipv4.ts';

export interface EnrolmentOptions {
  /** Issue tokens only to an address seen in this MAC's DHCP exchange, while DHCP runs; default true. */
  requireDhcpEvidence?: boolean;
  /** Whether this server runs DHCP (full or proxy) and so can see evidence at all; default false. */
  dhcpRuns?: () => boolean;
  /** How long a DHCP exchange counts as evidence, ms; default 5 minutes. */
  evidenceWindowMs?: number;
  /** How long an issued token stays bound to its address, ms; default 30 minutes (the token's own life). */
  tokenWindowMs?: number;
  /** New discovery records per minute; default 60; 0 creates none. */
  discoveriesPerMinute?: number;
  /** New discovery records in total since start; default 1000; 0 creates none. */
  discoveriesTotal?: number;
  /** Clock, ms since the epoch. */
  now?: () => number;
}

/** What /api/v1/status shows about enrolment. */
export interface EnrolmentStatus {
  requireDhcpEvidence: boolean;
  /** Why the gate is open, when it is. */
  warning?: string;
  /** Scripts answered without a token: no DHCP evidence for that MAC from that address. */
  tokensRefused: number;
  /** Registrations refused: an enrolment token used again (single use), or from another address than it was issued to. */
  replaysRefused: number;
  discovery: { created: number; refused: number; perMinute: number; total: number };
}

/** Addresses remembered per MAC and MACs remembered at most: a flood cannot grow memory. */
const IPS_PER_MAC = 4;
const MAX_MACS = 10_000;
const EVIDENCE: ReadonlySet<DhcpEvent['type']> = new Set(['ack', 'request']);

export function isEvidence(e: DhcpEvent): boolean {
  if (!e.ip || e.ip === '0.0.0.0' || !EVIDENCE.has(e.type)) return false;
  // In full mode a REQUEST names an address we have not granted yet: only our ACK counts.
  return e.mode === 'proxy' || e.type === 'ack';
}

export class EnrolmentGate {
  private readonly seen = new Map<string, Map<string, number>>();
  private readonly issued = new Map<string, { ip: string; at: number }>();
  /** Enrolment tokens a registration has used, kept for a token's life: each works once. */
  private readonly spent = new Map<string, { ip: string; at: number }>();
  private readonly minute = { start: 0, count: 0 };
  private readonly counts = { tokensRefused: 0, replaysRefused: 0, created: 0, refused: 0 };
  private readonly o: Required<EnrolmentOptions>;

  constructor(options: EnrolmentOptions = {}) {
    this.o = {
      requireDhcpEvidence: options.requireDhcpEvidence ?? true,
      evidenceWindowMs: options.evidenceWindowMs ?? 5 * 60_000,
      tokenWindowMs: options.tokenWindowMs ?? 30 * 60_000,
      discoveriesPerMinute: options.discoveriesPerMinute ?? 60,
      discoveriesTotal: options.discoveriesTotal ?? 1000,
      now: options.now ?? Date.now,
      dhcpRuns: options.dhcpRuns ?? (() => false),
    };
  }

  /** With DHCP off no evidence can exist: the gate is then open, and status warns (docs/SECURITY.md). */
  private required(): boolean {
    return this.o.requireDhcpEvidence && this.o.dhcpRuns();
  }

  observe(e: DhcpEvent): void {
    if (!isEvidence(e)) return;
    const ips = this.seen.get(e.mac) ?? new Map<string, number>();
    ips.delete(e.ip!);
    ips.set(e.ip!, this.o.now());
    if (ips.size > IPS_PER_MAC) ips.delete(ips.keys().next().value!);
    this.seen.delete(e.mac);
    this.seen.set(e.mac, ips);
    if (this.seen.size > MAX_MACS) this.seen.delete(this.seen.keys().next().value!);
  }

  /** May a boot script for `mac`, asked from `ip`, carry an enrolment token? Counts a refusal. */
  mayIssue(mac: string, ip: string): boolean {
    if (!this.required() || this.sawDhcp(mac, ip)) return true;
    this.counts.tokensRefused++;
    return false;
  }

  /** Remembers which address a token went to, so it cannot be used from another one. */
  recordIssued(token: string, ip: string): void {
    this.issued.set(token, { ip: normalizeIp(ip), at: this.o.now() });
    const oldest = this.issued.entries().next().value;
    if (oldest && this.o.now() - oldest[1].at > this.o.tokenWindowMs) this.issued.delete(oldest[0]);
    if (this.issued.size > MAX_MACS) this.issued.delete(this.issued.keys().next().value!);
  }

  /**
   * An enrolment token presented at registration: it must come from the address it was issued
   * to, or from one this MAC has fresh DHCP evidence for (the agent's own DHCP). Undefined: fine.
   */
  replayProblem(token: string, mac: string, ip: string): string | undefined {
    if (!this.required()) return undefined;
    const at = this.issued.get(token);
    const from = normalizeIp(ip);
    if (at && at.ip === from) return undefined;
    if (this.sawDhcp(mac, from)) return undefined;
    this.counts.replaysRefused++;
    return at
      ? `enrolment token for ${mac} was issued to ${at.ip}, not ${from}; boot the machine again`
      : `enrolment token for ${mac} is not known to this server (issued before a restart?); boot the machine again`;
  }

  /**
   * Spends an enrolment token on one registration (single use, also with the gate open): the
   * problem if it was spent already. `unspend` gives it back when that registration failed.
   */
  spend(token: string, mac: string, ip: string): string | undefined {
    const now = this.o.now();
    for (const [t, use] of this.spent) {
      if (now - use.at <= this.o.tokenWindowMs) break;
      this.spent.delete(t); // oldest first: the rest are younger
    }
    const used = this.spent.get(token);
    if (used) {
      this.counts.replaysRefused++;
      const when = new Date(used.at).toISOString();
      return `enrolment token for ${mac} was already used at ${when} from ${used.ip}; it works once: boot the machine again for a new one`;
    }
    this.spent.set(token, { ip: normalizeIp(ip), at: now });
    if (this.spent.size > MAX_MACS) this.spent.delete(this.spent.keys().next().value!);
    return undefined;
  }

  unspend(token: string): void {
    this.spent.delete(token);
  }

  /** May an unknown MAC create a discovery record now? Counts it either way. */
  mayDiscover(): boolean {
    const now = this.o.now();
    if (now - this.minute.start >= 60_000) Object.assign(this.minute, { start: now, count: 0 });
    if (this.counts.created >= this.o.discoveriesTotal || this.minute.count >= this.o.discoveriesPerMinute) {
      this.counts.refused++;
      return false;
    }
    this.minute.count++;
    this.counts.created++;
    return true;
  }

  status(): EnrolmentStatus {
    const required = this.required();
    return {
      requireDhcpEvidence: required,
      ...(required ? {} : { warning: this.openReason() }),
      tokensRefused: this.counts.tokensRefused,
      replaysRefused: this.counts.replaysRefused,
      discovery: { created: this.counts.created, refused: this.counts.refused, perMinute: this.o.discoveriesPerMinute, total: this.o.discoveriesTotal },
    };
  }

  private openReason(): string {
    return this.o.requireDhcpEvidence
      ? 'DHCP is off here, so this server sees no DHCP exchange: any host that can reach the boot listener receives an enrolment token for any MAC'
      : 'requireDhcpEvidence is off: any host that can reach the boot listener receives an enrolment token for any MAC';
  }

  private sawDhcp(mac: string, ip: string): boolean {
    const at = this.seen.get(mac)?.get(normalizeIp(ip));
    return at !== undefined && this.o.now() - at <= this.o.evidenceWindowMs;
  }
}
