/**
 * The login limits of a swarm: each client's attempts and wrong passwords live in the shared
 * backend ("login/<client>", expiring), so an attacker cannot multiply the attempts by the
 * number of instances. The rules are LoginGuard's (admitRecord, failRecord); each change is a
 * compare-and-set, so two instances counting the same client at once both count.
 */
import { DragonflyError } from '../shared/errors.ts';
import type { SharedKv } from '../shared/shared-kv.ts';
import { admitRecord, emptyRecord, failRecord, LoginGuard, loginGuardOptions, type ClientRecord, type LoginGuardOptions, type PasswordGuard } from './login-guard.ts';

const PREFIX = 'login/';
/**
 * Clients not yet in the backend that one instance adds per minute. With the records' TTL this
 * bounds what a flood from many addresses can store; past it a client is counted by this
 * instance alone (never refused for the flood: that would lock the operator out).
 */
const NEW_CLIENTS_PER_MINUTE = 1000;

export class SharedLoginGuard implements PasswordGuard {
  private readonly o: Required<LoginGuardOptions>;
  private readonly local: LoginGuard;
  private readonly minute = { start: 0, count: 0 };

  constructor(
    private readonly kv: SharedKv,
    options: LoginGuardOptions = {},
  ) {
    this.o = loginGuardOptions(options);
    this.local = new LoginGuard(options);
  }

  admit(client: string): Promise<void> {
    return this.change(client, (rec, now) => admitRecord(this.o, client, rec, now), () => this.local.admit(client));
  }

  failed(client: string): Promise<void> {
    return this.change(client, (rec, now) => failRecord(this.o, rec, now), () => this.local.failed(client));
  }

  async succeeded(client: string): Promise<void> {
    this.local.succeeded(client);
    const entry = await this.kv.get(key(client));
    if (!entry) return;
    const rec = parse(entry.value);
    if (!rec.failures.length) return;
    rec.failures = [];
    await this.kv.put(key(client), JSON.stringify(rec), { ifVersion: entry.version, ttlSeconds: this.ttlSeconds() }); // lost to a concurrent change: harmless
  }

  /** Reads the client's record, applies `apply` (which may throw a 429: nothing is written then), writes it back. */
  private async change(client: string, apply: (rec: ClientRecord, now: number) => void, overBudget: () => void): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const entry = await this.kv.get(key(client));
      if (!entry && !this.mayAddClient()) return overBudget();
      const rec = entry ? parse(entry.value) : emptyRecord();
      apply(rec, this.o.now());
      if (await this.kv.put(key(client), JSON.stringify(rec), { ifVersion: entry?.version ?? '', ttlSeconds: this.ttlSeconds() })) return;
    }
    throw new DragonflyError('DF_ERR_CONFLICT', `sign-in attempts from ${client} changed under ten tries in a row; try again`);
  }

  private mayAddClient(): boolean {
    const now = this.o.now();
    if (now - this.minute.start >= 60_000) Object.assign(this.minute, { start: now, count: 0 });
    return this.minute.count++ < NEW_CLIENTS_PER_MINUTE;
  }

  /** A record matters as long as its longest window: failures counted, a lockout, the minute of attempts. */
  private ttlSeconds(): number {
    return Math.max(60, this.o.failureWindowSeconds, this.o.lockoutSeconds);
  }
}

const key = (client: string) => PREFIX + encodeURIComponent(client);

/** A record someone else wrote badly counts as empty rather than failing every sign-in. */
function parse(value: string): ClientRecord {
  try {
    const r = JSON.parse(value) as Partial<ClientRecord>;
    return { attempts: Array.isArray(r.attempts) ? r.attempts : [], failures: Array.isArray(r.failures) ? r.failures : [], lockedUntil: Number(r.lockedUntil) || 0 };
  } catch {
    return emptyRecord();
  }
}
