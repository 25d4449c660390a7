import { DragonflyError } from '../shared/errors.ts';

export interface LoginGuardOptions {
  /** Password attempts a client may make per minute, right or wrong. Default 10; 0 = no limit. */
  attemptsPerMinute?: number;
  /** Wrong passwords from one client within `failureWindowSeconds` that start a lockout. Default 5; 0 = never lock out. */
  maxFailures?: number;
  /** How far back wrong passwords count, seconds. Default 900 (15 min). */
  failureWindowSeconds?: number;
  /** How long a locked-out client is refused, seconds. Default 300 (5 min). */
  lockoutSeconds?: number;
  /** Clients remembered at once; the longest-idle is forgotten past it. Default 10000. */
  maxClients?: number;
  now?: () => number;
}

/** One client's password attempts: what a guard keeps per client, here or in a swarm's backend. */
export interface ClientRecord {
  attempts: number[];
  failures: number[];
  lockedUntil: number;
}

export const emptyRecord = (): ClientRecord => ({ attempts: [], failures: [], lockedUntil: 0 });

/** Where the AuthService asks before checking a password (one instance: LoginGuard; a swarm: SharedLoginGuard). */
export interface PasswordGuard {
  admit(client: string): void | Promise<void>;
  failed(client: string): void | Promise<void>;
  succeeded(client: string): void | Promise<void>;
}

export function loginGuardOptions(options: LoginGuardOptions): Required<LoginGuardOptions> {
  return {
    attemptsPerMinute: options.attemptsPerMinute ?? 10,
    maxFailures: options.maxFailures ?? 5,
    failureWindowSeconds: options.failureWindowSeconds ?? 900,
    lockoutSeconds: options.lockoutSeconds ?? 300,
    maxClients: options.maxClients ?? 10_000,
    now: options.now ?? Date.now,
  };
}

/**
 * The rules on one client's record, the one place for both guards: throws 429 (with
 * retryAfterSeconds in its details) when the client may not try now, else counts the attempt.
 */
export function admitRecord(o: Required<LoginGuardOptions>, client: string, rec: ClientRecord, now: number): void {
  if (rec.lockedUntil > now) throw tooMany(`too many wrong passwords from ${client}; try again later`, rec.lockedUntil - now);
  rec.attempts = rec.attempts.filter((t) => t > now - 60_000);
  if (o.attemptsPerMinute > 0 && rec.attempts.length >= o.attemptsPerMinute) {
    throw tooMany(`too many sign-in attempts from ${client}; at most ${o.attemptsPerMinute} a minute`, rec.attempts[0] + 60_000 - now);
  }
  rec.attempts.push(now);
}

export function failRecord(o: Required<LoginGuardOptions>, rec: ClientRecord, now: number): void {
  rec.failures = rec.failures.filter((t) => t > now - o.failureWindowSeconds * 1000);
  rec.failures.push(now);
  if (o.maxFailures > 0 && rec.failures.length >= o.maxFailures) {
    rec.lockedUntil = now + o.lockoutSeconds * 1000;
    rec.failures = [];
  }
}

/**
 * Slows down password guessing (issue 14: 200 wrong passwords went through in 19 s). Per
 * client (its IP address): a cap on attempts per minute, and a lockout after repeated wrong
 * passwords. A refused attempt never reaches the password hash, so it costs no scrypt time.
 * Per client rather than per account: locking the one admin account would let anyone on the
 * network lock the operator out. This one counts in memory, for one instance.
 */
export class LoginGuard implements PasswordGuard {
  private readonly clients = new Map<string, ClientRecord>();
  private readonly o: Required<LoginGuardOptions>;

  constructor(options: LoginGuardOptions = {}) {
    this.o = loginGuardOptions(options);
  }

  /** Throws 429 (with retryAfterSeconds in its details) when `client` may not try now; else counts the attempt. */
  admit(client: string): void {
    const now = this.o.now();
    admitRecord(this.o, client, this.record(client, now), now);
  }

  failed(client: string): void {
    const now = this.o.now();
    failRecord(this.o, this.record(client, now), now);
  }

  succeeded(client: string): void {
    const rec = this.clients.get(client);
    if (rec) rec.failures = [];
  }

  private record(client: string, now: number): ClientRecord {
    let rec = this.clients.get(client);
    if (rec) {
      this.clients.delete(client); // re-insert: Map order is then least recently used first
    } else {
      rec = emptyRecord();
      if (this.clients.size >= this.o.maxClients) this.forgetOne(now);
    }
    this.clients.set(client, rec);
    return rec;
  }

  /** Forgets the least recently seen client that is not locked out (or, if all are, the oldest). */
  private forgetOne(now: number): void {
    for (const [k, r] of this.clients) {
      if (r.lockedUntil <= now) {
        this.clients.delete(k);
        return;
      }
    }
    this.clients.delete(this.clients.keys().next().value as string);
  }
}

function tooMany(message: string, retryMs: number): DragonflyError {
  const retryAfterSeconds = Math.max(1, Math.ceil(retryMs / 1000));
  return new DragonflyError('DF_ERR_RATE_LIMITED', `${message} (retry after ${retryAfterSeconds} s)`, { retryAfterSeconds });
}
