import { createHmac, randomBytes } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DragonflyError, isDragonflyError } from '../shared/errors.ts';
import type { TokenRefusal } from '../shared/token-refusal.ts';
import { writeFileDurable } from '../shared/durable-file.ts';
import { parseMac } from '../shared/mac.ts';
import type { SharedKv } from '../shared/shared-kv.ts';
import { FileAuthPersistence, readAuthFile, type ApiTokenRecord, type AuthDoc, type AuthPersistence } from './auth-persistence.ts';
import { LoginGuard, type LoginGuardOptions, type PasswordGuard } from './login-guard.ts';
import { SharedLoginGuard } from './shared-login-guard.ts';
import { generatePassword, hashPassword, hashToken, sameHash, verifyPassword } from './passwords.ts';
import { SharedAuthPersistence, type Sealer } from './shared-auth.ts';

export type { ApiTokenRecord } from './auth-persistence.ts';

export type MachineTokenKind = 'dfe1' | 'dfa2';

export interface Principal {
  user: string;
  via: 'session' | 'token';
}

export interface AuthOptions {
  /** Login session lifetime, seconds; default 12 h. */
  sessionSeconds?: number;
  /** Enrolment token lifetime (kernel command line), seconds; default 30 min. */
  enrolmentSeconds?: number;
  /** Per-machine agent token lifetime, seconds; default 12 h (heartbeats hand out a fresh one at half-life). */
  agentSeconds?: number;
  /** Limits on password attempts (login and password change), per client. */
  loginGuard?: LoginGuardOptions;
  now?: () => number;
}

/** Why a machine token was refused, in the 401's details: the refusals (core/shared/token-refusal.ts) this service decides. */
export type MachineTokenRefusal = Extract<TokenRefusal, 'invalid' | 'expired' | 'revoked'>;

const machineTokenRefused = (refusal: MachineTokenRefusal, message: string) => new DragonflyError('DF_ERR_UNAUTHORIZED', message, { refusal });

export const AUTH_FILE = 'auth.json';
export const INITIAL_PASSWORD_FILE = 'initial-admin-password';

const b64url = (b: Buffer) => b.toString('base64url');
/** What a session keeps of the password it was signed in under: a changed password ends it. */
const passwordTag = (passwordHash: string) => hashToken(passwordHash).slice(0, 16);

/**
 * Credentials of one control plane: the admin password (scrypt), login sessions, API tokens
 * (hashed, revocable, with expiry) and the signing key for machine tokens. One instance keeps
 * them in a 0600 file (whoever can read the data directory already holds the keys); a swarm
 * keeps them in the shared backend, so every instance accepts what another issued.
 */
export class AuthService {
  private constructor(
    private readonly dataDir: string,
    private readonly persist: AuthPersistence,
    private readonly opts: Required<AuthOptions>,
    kv?: SharedKv,
  ) {
    const limits = { now: opts.now, ...opts.loginGuard };
    // a swarm counts each client's attempts in the backend: one limit, however many instances
    this.guard = kv ? new SharedLoginGuard(kv, limits) : new LoginGuard(limits);
  }

  private readonly guard: PasswordGuard;

  private get data(): AuthDoc {
    return this.persist.doc;
  }

  /** Opens (or on first start creates) the auth file; `initialPassword` is set only on creation. */
  static async open(dataDir: string, options: AuthOptions = {}): Promise<{ auth: AuthService; initialPassword?: string }> {
    const first = newIdentity();
    const { persistence, created } = await FileAuthPersistence.open(join(dataDir, AUTH_FILE), first.doc);
    return AuthService.started(dataDir, persistence, created ? first.password : undefined, options);
  }

  /**
   * The swarm's identity in the shared backend, its signing key sealed by `sealer`. Only the
   * instance that creates it gets `initialPassword` (and writes it to its data directory).
   */
  static async openShared(dataDir: string, kv: SharedKv, sealer: Sealer, options: AuthOptions = {}): Promise<{ auth: AuthService; initialPassword?: string }> {
    // An instance that ran alone before (auth.json, e.g. after `dragonfly migrate`) brings its
    // admin, tokens and signing key into the new swarm: nothing its operators or machines hold changes.
    const local = await readAuthFile(join(dataDir, AUTH_FILE));
    const first = local ? { password: undefined, doc: async () => local } : newIdentity();
    const { persistence, created } = await SharedAuthPersistence.open(kv, sealer, first.doc, options.now);
    return AuthService.started(dataDir, persistence, created ? first.password : undefined, options, kv);
  }

  private static async started(dataDir: string, persistence: AuthPersistence, initialPassword: string | undefined, options: AuthOptions, kv?: SharedKv) {
    const opts: Required<AuthOptions> = {
      sessionSeconds: options.sessionSeconds ?? 12 * 3600,
      enrolmentSeconds: options.enrolmentSeconds ?? 30 * 60,
      agentSeconds: options.agentSeconds ?? 12 * 3600,
      loginGuard: options.loginGuard ?? {},
      now: options.now ?? Date.now,
    };
    if (initialPassword) await writeFileDurable(join(dataDir, INITIAL_PASSWORD_FILE), `${initialPassword}\n`);
    return { auth: new AuthService(dataDir, persistence, opts, kv), initialPassword };
  }

  async close(): Promise<void> {
    await this.persist.close();
  }

  /** Writes the identity again: in a swarm, its signing key is then sealed under the current data key (after a rotation). */
  async reseal(): Promise<void> {
    await this.persist.modify(async () => {});
  }

  // ---- operator sessions ----

  /** `client` (the caller's IP address) is what password attempts are counted against. */
  async login(username: string, password: string, client = 'local'): Promise<{ token: string; expiresAt: string }> {
    await this.checkPassword(password, client, username);
    const { session, stored } = this.newSession(username);
    await stored;
    return session;
  }

  /**
   * A session for the operator sitting at the desktop app (no password typed). In a swarm it
   * is written to the backend in the background: this instance accepts it at once.
   */
  createSession(user = this.data.admin.username): { token: string; expiresAt: string } {
    const { session, stored } = this.newSession(user);
    stored.catch(() => {}); // then it works on this instance only, until it expires
    return session;
  }

  private newSession(user: string): { session: { token: string; expiresAt: string }; stored: Promise<void> } {
    const token = `dfs_${b64url(randomBytes(32))}`;
    const expiresAt = this.opts.now() + this.opts.sessionSeconds * 1000;
    const stored = this.persist.sessions.add(hashToken(token), { user, expiresAt, password: passwordTag(this.data.admin.passwordHash) });
    return { session: { token, expiresAt: new Date(expiresAt).toISOString() }, stored };
  }

  async logout(token: string): Promise<void> {
    await this.persist.sessions.remove(hashToken(token));
  }

  /**
   * Sets a new admin password; the current one is required (and counted like a login attempt).
   * The one-time password file is deleted: from now on nobody but the operator knows it. Every
   * session signed in under the old password ends, except `keepSession` (the one that asked).
   */
  async changePassword(currentPassword: string, newPassword: string, client = 'local', keepSession?: string): Promise<void> {
    if (newPassword.length < 12) throw new DragonflyError('DF_ERR_INVALID', 'the new password must be at least 12 characters');
    if (newPassword.length > 1024) throw new DragonflyError('DF_ERR_INVALID', 'the new password must be at most 1024 characters');
    await this.checkPassword(currentPassword, client).catch((e: unknown) => {
      // 403, not 401: the caller is signed in; a 401 would tell the UI the session ended.
      throw isDragonflyError(e, 'DF_ERR_UNAUTHORIZED') ? new DragonflyError('DF_ERR_FORBIDDEN', 'the current password is wrong') : e;
    });
    const passwordHash = await hashPassword(newPassword);
    await this.modify(async (d) => {
      d.admin.passwordHash = passwordHash;
    });
    // Every session signed in under the old password ends, except the one that asked.
    if (keepSession) {
      const kept = await this.persist.sessions.find(hashToken(keepSession));
      if (kept) await this.persist.sessions.add(hashToken(keepSession), { ...kept, password: passwordTag(passwordHash) });
    }
    await rm(join(this.dataDir, INITIAL_PASSWORD_FILE), { force: true });
  }

  /** Whether the one-time password file from the first start is still in the data directory. */
  async initialPasswordOnDisk(): Promise<boolean> {
    return stat(join(this.dataDir, INITIAL_PASSWORD_FILE)).then(() => true, () => false);
  }

  private async checkPassword(password: string, client: string, username = this.data.admin.username): Promise<void> {
    await this.guard.admit(client);
    await this.persist.refresh(); // the password may have been changed by `dragonfly admin password --data-dir`
    const ok = username === this.data.admin.username && (await verifyPassword(password, this.data.admin.passwordHash));
    if (!ok) {
      await this.guard.failed(client);
      throw new DragonflyError('DF_ERR_UNAUTHORIZED', 'wrong user name or password');
    }
    await this.guard.succeeded(client);
  }

  /** Who a bearer token belongs to, or undefined. */
  async authenticate(token: string | undefined): Promise<Principal | undefined> {
    if (!token) return undefined;
    const now = this.opts.now();
    if (token.startsWith('dfs_')) {
      const s = await this.persist.sessions.find(hashToken(token));
      if (!s || s.expiresAt <= now) return undefined;
      await this.persist.refresh(); // `dragonfly admin password --data-dir` may have changed it meanwhile
      if (s.password !== passwordTag(this.data.admin.passwordHash)) {
        await this.persist.sessions.remove(hashToken(token));
        return undefined;
      }
      return { user: s.user, via: 'session' };
    }
    if (token.startsWith('dfk_')) {
      // a token made by `dragonfly tokens create --data-dir`, or revoked by another instance, meanwhile
      await this.persist.refresh();
      let rec = this.findToken(token);
      if (!rec) {
        await this.persist.refresh(true); // made on another instance a moment ago
        rec = this.findToken(token);
      }
      if (!rec || rec.revokedAt || (rec.expiresAt && Date.parse(rec.expiresAt) <= now)) return undefined;
      return { user: `token:${rec.name}`, via: 'token' };
    }
    return undefined;
  }

  private findToken(token: string): ApiTokenRecord | undefined {
    const id = token.slice(4, 4 + 12);
    const rec = this.data.tokens.find((t) => t.id === id);
    return rec && sameHash(rec.hash, hashToken(token)) ? rec : undefined;
  }

  // ---- API tokens ----

  async createToken(name: string, expiresInDays?: number): Promise<{ id: string; name: string; token: string; expiresAt?: string }> {
    if (!/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/.test(name)) {
      throw new DragonflyError('DF_ERR_INVALID', `token name "${name}" must be 1-63 letters, digits, space, dot, dash or underscore`);
    }
    if (expiresInDays !== undefined && !(expiresInDays > 0 && expiresInDays <= 3650)) {
      throw new DragonflyError('DF_ERR_INVALID', 'expiresInDays must be between 1 and 3650');
    }
    const id = randomBytes(6).toString('hex');
    const token = `dfk_${id}${b64url(randomBytes(32))}`;
    const rec: ApiTokenRecord = {
      id,
      name,
      hash: hashToken(token),
      createdAt: new Date(this.opts.now()).toISOString(),
      expiresAt: expiresInDays ? new Date(this.opts.now() + expiresInDays * 86400_000).toISOString() : undefined,
    };
    await this.modify(async (d) => {
      d.tokens.push(rec);
    });
    return { id, name, token, expiresAt: rec.expiresAt };
  }

  async listTokens(): Promise<Omit<ApiTokenRecord, 'hash'>[]> {
    await this.persist.refresh();
    return this.data.tokens.map(({ hash: _hash, ...rest }) => rest);
  }

  async revokeToken(id: string): Promise<void> {
    await this.modify(async (d) => {
      const rec = d.tokens.find((t) => t.id === id);
      if (!rec) throw new DragonflyError('DF_ERR_NOT_FOUND', `API token ${id} not found`);
      rec.revokedAt ??= new Date(this.opts.now()).toISOString();
    });
  }

  // ---- machine tokens (HMAC-signed, bound to a MAC; agent tokens revocable per machine) ----

  /**
   * Short-lived token put on the agent's kernel command line by the boot script. A random nonce
   * makes every issued token distinct, so one can be spent by a registration (single use)
   * without spending another boot's token issued in the same second.
   */
  issueEnrolmentToken(mac: string): string {
    return this.signMachineToken('dfe1', mac, this.opts.enrolmentSeconds);
  }

  /**
   * Per-machine token handed to the agent once it has registered. It carries its issue time
   * (ms) so that `revokeAgentTokens` can refuse every token issued up to a moment, and the run
   * it was issued for (`workflow#attempt`, empty for none) so that it works for that run only.
   */
  issueAgentToken(mac: string, run = ''): string {
    return this.signMachineToken('dfa2', mac, this.opts.agentSeconds, run);
  }

  /** The run an agent token was issued for (empty: none, or a token from before runs were bound). */
  agentTokenRun(token: string): string {
    return this.decodeMachineToken(token).run;
  }

  /** True once more than half of an agent token's lifetime has passed: time to hand out a fresh one. */
  agentTokenStale(token: string): boolean {
    const t = this.decodeMachineToken(token);
    return t.kind === 'dfa2' && this.opts.now() >= t.issuedAt + (this.opts.agentSeconds * 1000) / 2;
  }

  /** Every agent token issued for this MAC until now is refused from now on (the machine must enrol again). */
  async revokeAgentTokens(macInput: string): Promise<void> {
    const macHex = parseMac(macInput).replace(/:/g, '');
    // tokens issued since the last revocation may carry its ms + 1 (see signMachineToken)
    const at = Math.max(this.opts.now(), (this.data.agentRevokedBefore?.[macHex] ?? -1) + 1);
    await this.modify(async (d) => {
      d.agentRevokedBefore = { ...d.agentRevokedBefore, [macHex]: at };
    });
  }

  /**
   * The MAC a machine token was issued for. Rejects a missing, malformed, forged, expired or
   * revoked token with a reason that says which.
   */
  verifyMachineToken(token: string | undefined, kinds: MachineTokenKind[] = ['dfe1', 'dfa2']): string {
    if (!token) throw machineTokenRefused('invalid', 'machine token missing (Authorization: Bearer ...)');
    const t = this.decodeMachineToken(token);
    if (!kinds.includes(t.kind)) throw machineTokenRefused('invalid', 'machine token malformed');
    if (t.expiresAt <= this.opts.now()) throw machineTokenRefused('expired', 'machine token expired');
    const revokedBefore = t.kind === 'dfa2' ? this.data.agentRevokedBefore?.[t.macHex] : undefined;
    if (revokedBefore !== undefined && t.issuedAt <= revokedBefore) {
      throw machineTokenRefused('revoked', 'agent token revoked; the machine must enrol again');
    }
    return parseMac(t.macHex);
  }

  /**
   * Wire forms: `dfe1.<mac>.<nonce>.<exp s>.<sig>` and `dfa2.<mac>.<issued ms>.<run>.<exp s>.<sig>`
   * (run: its UTF-8 in hex, `0` for none; a `dfa2` without it, from before runs were bound, is
   * bound to none).
   * The 7-day `dfa1` tokens of earlier versions are no longer accepted (they could not be
   * revoked), nor enrolment tokens without a nonce (they could not be told apart to spend one).
   */
  private decodeMachineToken(token: string): { kind: MachineTokenKind; macHex: string; issuedAt: number; expiresAt: number; run: string } {
    const parts = token.split('.');
    const kind = parts[0] as MachineTokenKind;
    const wellFormed = kind === 'dfe1' ? parts.length === 5 : kind === 'dfa2' && (parts.length === 5 || parts.length === 6);
    if (!wellFormed || !parts.slice(1, -1).every((p) => /^[0-9a-f]+$/.test(p))) {
      throw machineTokenRefused('invalid', 'machine token malformed');
    }
    const sig = parts[parts.length - 1];
    const expected = this.sign(parts.slice(0, -1).join('.'));
    if (!sameHash(Buffer.from(sig, 'base64url').toString('hex'), Buffer.from(expected, 'base64url').toString('hex'))) {
      throw machineTokenRefused('invalid', 'machine token signature invalid');
    }
    const expStr = parts[parts.length - 2];
    const run = kind === 'dfa2' && parts.length === 6 && parts[3] !== '0' ? Buffer.from(parts[3], 'hex').toString('utf8') : '';
    return { kind, macHex: parts[1], issuedAt: kind === 'dfa2' ? Number(parts[2]) : 0, expiresAt: Number(expStr) * 1000, run };
  }

  private signMachineToken(kind: MachineTokenKind, macInput: string, ttlSeconds: number, run = ''): string {
    const macHex = parseMac(macInput).replace(/:/g, '');
    // strictly after a revocation made in the same millisecond, so a fresh enrolment is never refused
    const now = Math.max(this.opts.now(), (this.data.agentRevokedBefore?.[macHex] ?? -1) + 1);
    const exp = Math.floor(now / 1000) + ttlSeconds;
    const middle = kind === 'dfa2' ? `${now}.${run ? Buffer.from(run, 'utf8').toString('hex') : '0'}` : randomBytes(8).toString('hex');
    const body = `${kind}.${macHex}.${middle}.${exp}`;
    return `${body}.${this.sign(body)}`;
  }

  private sign(body: string): string {
    return b64url(createHmac('sha256', Buffer.from(this.data.secretKey, 'hex')).update(body).digest());
  }

  /** Key material for other services that need a stable secret (e.g. secrets at rest). */
  deriveKey(purpose: string): Buffer {
    return createHmac('sha256', Buffer.from(this.data.secretKey, 'hex')).update(`derive:${purpose}`).digest();
  }

  private async modify(change: (d: AuthDoc) => Promise<void>): Promise<void> {
    await this.persist.modify(change);
  }
}

/** A fresh identity: random signing key, admin with a one-time password (hashed lazily, only when needed). */
function newIdentity(): { password: string; doc: () => Promise<AuthDoc> } {
  const password = generatePassword();
  return {
    password,
    doc: async () => ({ version: 1, secretKey: randomBytes(32).toString('hex'), admin: { username: 'admin', passwordHash: await hashPassword(password) }, tokens: [] }),
  };
}
