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
import { createHash } from 'node:crypto';
import type { TokenRefused } from '../contract/agent.ts';
import type { DhcpEvent } from '../dhcp/events.ts';
import { FileKv } from '../shared/file-kv.ts';
import { normalizeIp } from '../shared/ipv4.ts';
import type { SharedKv } from '../shared/shared-kv.ts';

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
  /** Where the state lives (a file in the data dir, or etcd in a swarm); default memory only. */
  kv?: SharedKv;
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
  /** DHCP exchanges not recorded as evidence: more than the write budget a minute (a flood). */
  evidenceDropped: number;
  discovery: { created: number; refused: number; perMinute: number; total: number };
}

/**
 * Writes an unauthenticated booter can cause (evidence, issued tokens) per minute and instance:
 * with their TTLs this bounds what the backend holds under a flood (issue 14 point 4).
 */
const WRITES_PER_MINUTE = 1000;
/**
 * Entries the backend must be able to hold for this gate (one instance's file): with the default
 * windows, evidence for 5 minutes and issued tokens for 30 at WRITES_PER_MINUTE, and spent tokens
 * at most as many as issued: 65,000. Past it the oldest would go, so it is kept well above.
 */
export const ENROLMENT_STATE_ENTRIES = 100_000;
const EVIDENCE: ReadonlySet<DhcpEvent['type']> = new Set(['ack', 'request']);
/** Key prefixes in the backend: one entry per MAC and address, per issued token, per spent token. */
const KEYS = { evidence: 'enrolment/evidence/', issued: 'enrolment/issued/', spent: 'enrolment/spent/' } as const;

export function isEvidence(e: DhcpEvent): boolean {
  if (!e.ip || e.ip === '0.0.0.0' || !EVIDENCE.has(e.type)) return false;
  // In full mode a REQUEST names an address we have not granted yet: only our ACK counts.
  return e.mode === 'proxy' || e.type === 'ack';
}

/** An enrolment token refused: why, for the agent (core/contract), and what to tell the operator. */
export interface EnrolmentRefusal extends TokenRefused {
  message: string;
}

/** Where an enrolment token went, or where it was used, and when (epoch ms). */
interface Use {
  ip: string;
  at: number;
  /** sha256 of the registration that spent the token: the same one again is a retry, not a replay. */
  request?: string;
}

/**
 * A registration whose answer was lost (a dropped packet, a congested link) is sent again by the
 * agent with the same token. The same request from the same address this soon after is that
 * retry, and is answered again; anything else is a replay. Only someone who can also take the
 * machine's address on its segment could pose as it (docs/SECURITY.md says so).
 */
const RETRY_WINDOW_MS = 2 * 60_000;

/** The backend never holds a usable token: entries are keyed by its hash. */
const tokenKey = (token: string) => createHash('sha256').update(token).digest('hex');
const ttl = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * The enrolment state (DHCP evidence, issued and spent enrolment tokens) lives in `kv`: a file
 * in the data directory for one instance, etcd for a swarm (core/app wires it), so a restart or
 * another instance knows what this one saw and spent. Times are the gate's clock; the backend's
 * TTL only cleans up.
 */
export class EnrolmentGate {
  private readonly kv: SharedKv;
  private readonly minute = { start: 0, count: 0 };
  private readonly writes = { start: 0, count: 0 };
  private readonly counts = { tokensRefused: 0, replaysRefused: 0, created: 0, refused: 0, evidenceDropped: 0 };
  private readonly o: Required<Omit<EnrolmentOptions, 'kv'>>;

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
    this.kv = options.kv ?? FileKv.memory({ now: this.o.now });
  }

  /** With DHCP off no evidence can exist: the gate is then open, and status warns (docs/SECURITY.md). */
  private required(): boolean {
    return this.o.requireDhcpEvidence && this.o.dhcpRuns();
  }

  /** One unauthenticated write more this minute, if the budget allows. */
  private mayWrite(): boolean {
    const now = this.o.now();
    if (now - this.writes.start >= 60_000) Object.assign(this.writes, { start: now, count: 0 });
    return this.writes.count++ < WRITES_PER_MINUTE;
  }

  /**
   * Records DHCP evidence; resolves once the backend holds it (the DHCP server does not wait).
   * Never rejects: evidence the backend did not take is counted as dropped.
   */
  async observe(e: DhcpEvent): Promise<void> {
    if (!isEvidence(e)) return;
    const use: Use = { ip: normalizeIp(e.ip!), at: this.o.now() };
    const stored = this.mayWrite() && (await this.kv.put(`${KEYS.evidence}${e.mac}/${use.ip}`, JSON.stringify(use), { ttlSeconds: ttl(this.o.evidenceWindowMs) }).catch(() => false));
    if (!stored) this.counts.evidenceDropped++;
  }

  /** May a boot script for `mac`, asked from `ip`, carry an enrolment token? Counts a refusal. */
  async mayIssue(mac: string, ip: string): Promise<string | undefined> {
    if (this.required() && !(await this.sawDhcp(mac, ip))) {
      this.counts.tokensRefused++;
      return `no DHCP exchange of ${mac} from ${ip} seen in the last minutes`;
    }
    if (!this.mayWrite()) {
      this.counts.tokensRefused++;
      return `more than ${WRITES_PER_MINUTE} enrolments a minute; waiting for room`;
    }
    return undefined;
  }

  /** Remembers which address a token went to, so it cannot be used from another one. */
  async recordIssued(token: string, ip: string): Promise<void> {
    const use: Use = { ip: normalizeIp(ip), at: this.o.now() };
    await this.kv.put(KEYS.issued + tokenKey(token), JSON.stringify(use), { ttlSeconds: ttl(this.o.tokenWindowMs) });
  }

  /**
   * An enrolment token presented at registration: it must come from the address it was issued
   * to, or from one this MAC has fresh DHCP evidence for (the agent's own DHCP). Undefined: fine.
   */
  async replayProblem(token: string, mac: string, ip: string): Promise<EnrolmentRefusal | undefined> {
    if (!this.required()) return undefined;
    const at = await this.read(KEYS.issued + tokenKey(token), this.o.tokenWindowMs);
    const from = normalizeIp(ip);
    if (at?.use.ip === from) return undefined;
    if (await this.sawDhcp(mac, from)) return undefined;
    this.counts.replaysRefused++;
    return at
      ? { refusal: 'elsewhere', message: `enrolment token for ${mac} was issued to ${at.use.ip}, not ${from}; boot the machine again` }
      : { refusal: 'unknown', message: `enrolment token for ${mac} is not known to this server (issued more than ${ttl(this.o.tokenWindowMs) / 60} minutes ago?); boot the machine again` };
  }

  /**
   * Spends an enrolment token on one registration (single use, also with the gate open): the
   * problem if it was spent already, here, before a restart or on another instance. A
   * compare-and-set, so two instances racing on one token spend it once. `unspend` gives it
   * back when that registration failed.
   */
  async spend(token: string, mac: string, ip: string, request?: string): Promise<EnrolmentRefusal | undefined> {
    const key = KEYS.spent + tokenKey(token);
    const use: Use = { ip: normalizeIp(ip), at: this.o.now(), ...(request ? { request } : {}) };
    for (let attempt = 0; attempt < 5; attempt++) {
      const held = await this.read(key, this.o.tokenWindowMs);
      if (held?.fresh && isRetry(held.use, use)) return undefined;
      if (held?.fresh) {
        this.counts.replaysRefused++;
        const when = new Date(held.use.at).toISOString();
        return { refusal: 'spent', message: `enrolment token for ${mac} was already used at ${when} from ${held.use.ip}; it works once: boot the machine again for a new one` };
      }
      if (await this.kv.put(key, JSON.stringify(use), { ifVersion: held?.version ?? '', ttlSeconds: ttl(this.o.tokenWindowMs) })) return undefined;
    }
    return { refusal: 'spent', message: `enrolment token for ${mac} is being used by several registrations at once; boot the machine again` };
  }

  /** Gives a token back after its registration failed. */
  async unspend(token: string): Promise<void> {
    await this.kv.delete(KEYS.spent + tokenKey(token));
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
      evidenceDropped: this.counts.evidenceDropped,
      discovery: { created: this.counts.created, refused: this.counts.refused, perMinute: this.o.discoveriesPerMinute, total: this.o.discoveriesTotal },
    };
  }

  private openReason(): string {
    return this.o.requireDhcpEvidence
      ? 'DHCP is off here, so this server sees no DHCP exchange: any host that can reach the boot listener receives an enrolment token for any MAC'
      : 'requireDhcpEvidence is off: any host that can reach the boot listener receives an enrolment token for any MAC';
  }

  private async sawDhcp(mac: string, ip: string): Promise<boolean> {
    return Boolean((await this.read(`${KEYS.evidence}${mac}/${normalizeIp(ip)}`, this.o.evidenceWindowMs))?.fresh);
  }

  /** An entry and whether it is within `windowMs` by the gate's clock; an unreadable one counts as absent. */
  private async read(key: string, windowMs: number): Promise<{ use: Use; fresh: boolean; version: string } | undefined> {
    const entry = await this.kv.get(key);
    if (!entry) return undefined;
    try {
      const use = JSON.parse(entry.value) as Use;
      return { use, fresh: this.o.now() - use.at <= windowMs, version: entry.version };
    } catch {
      return undefined;
    }
  }
}

/** The same registration again from the same address within the retry window (see RETRY_WINDOW_MS). */
function isRetry(first: Use, now: Use): boolean {
  return first.request !== undefined && first.request === now.request && first.ip === now.ip && now.at - first.at <= RETRY_WINDOW_MS;
}
