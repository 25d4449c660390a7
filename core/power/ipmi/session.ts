/**
 * One IPMI v2.0 / RMCP+ session with one BMC (IPMI v2.0 section 13.15, figure 13-8):
 * Get Channel Authentication Capabilities → Open Session → RAKP 1/2 (check the BMC knows
 * the password) → RAKP 3/4 (prove we do, check the session keys) → Set Session Privilege
 * Level → commands → Close Session. Requests are serialized: one in flight per session.
 */
import { randomBytes } from 'node:crypto';
import { PowerError, powerUnauthorized } from '../driver.ts';
import { isDragonflyError } from '../../shared/errors.ts';
import { discardLogger, type Logger } from '../../shared/logger.ts';
import {
  closeSession, completionCodeText, getChannelAuthCapabilities, parseChannelAuthCapabilities, Privilege,
  setSessionPrivilege, type IpmiRequest,
} from './commands.ts';
import { cipherSuite, rakp2AuthCode, rakp3AuthCode, rakp4Icv, sessionIntegrityKey, type CipherSuiteId, type RakpExchange } from './crypto.ts';
import { answers, consoleRequest, type LanMessage } from './lan-message.ts';
import {
  openSealedPacket, openSealedPayload, parseSetupResponse, parseV15Response, sealedPacket, sealedPayload, sessionKeys, sessionPayloadType,
  setupPacket, v15Packet, type SessionKeys,
} from './packets.ts';
import { decodeOpenSessionResponse, decodeRakp2, decodeRakp34, encodeOpenSessionRequest, encodeRakp1, encodeRakp34, RakpStatus } from './rakp.ts';
import { PayloadType } from './session-v20.ts';
import { Exchanger, udpSocketFactory, type IpmiSocketFactory } from './transport.ts';
import { equalBytes, isDecodeError, type DecodeError } from './wire.ts';
import { rakpFailure } from './rakp-errors.ts';

export interface IpmiSessionOptions {
  host: string;
  /** UDP port of the BMC (default 623, the RMCP port). */
  port?: number;
  /** User name, at most 16 bytes. */
  username: string;
  /** Password (Kuid), at most 20 bytes. */
  password: string;
  /** BMC key Kg for two-key logins (default: none, so Kuid is used, section 13.31). */
  kg?: string;
  /** 3 (HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128) or 17 (the SHA-256 versions). Default 3. */
  cipherSuite?: CipherSuiteId;
  /** Wait per attempt in ms (default 1000). */
  timeoutMs?: number;
  /** Resends after the first attempt (default 2, so 3 attempts; 0 = one attempt). */
  retries?: number;
  socketFactory?: IpmiSocketFactory;
  logger?: Logger;
  /** Called with every command and its answer inside the session (tests, debug logs). */
  trace?: (e: IpmiTraceEvent) => void;
  /** Re-establish a session idle longer than this, ms (default 20000; 0 = a new session per command). */
  maxIdleMs?: number;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  /** Source of random bytes (session IDs, RAKP nonce, IVs); default node:crypto. */
  random?: (n: number) => Uint8Array;
}

export interface IpmiTraceEvent {
  request: IpmiRequest;
  completionCode: number;
  response: Uint8Array;
}

/** Name-only lookup (bit 4): the BMC finds the user by name, not by name and privilege. */
const ROLE_NAME_ONLY = 0x10;
const utf8 = new TextEncoder();

export class IpmiSession {
  readonly peer: string;
  private readonly suite;
  private readonly random: (n: number) => Uint8Array;
  private readonly log: Logger;
  private exchanger: Exchanger | undefined;
  private closeSocket: (() => void) | undefined;
  private keys: SessionKeys | undefined;
  private consoleSessionId = 0;
  private bmcSessionId = 0;
  private sessionSequence = 0;
  private requestSequence = 0;
  private tag = 0;
  private lastUsed = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly payloadHandlers = new Map<number, (plain: Uint8Array) => void>();
  dropped = 0;

  constructor(private readonly opts: IpmiSessionOptions) {
    this.peer = `${opts.host}:${opts.port ?? 623}`;
    this.suite = cipherSuite(opts.cipherSuite ?? 3);
    this.random = opts.random ?? ((n) => new Uint8Array(randomBytes(n)));
    this.log = (opts.logger ?? discardLogger).child({ bmc: this.peer });
    // RAKP1 carries at most 16 bytes of user name; IPMI v2.0 passwords are at most 20 bytes.
    if (utf8.encode(opts.username).length > 16) throw new PowerError('ipmi', 'DF_ERR_INVALID', 'IPMI user name is longer than 16 bytes');
    if (utf8.encode(opts.password).length > 20) throw new PowerError('ipmi', 'DF_ERR_INVALID', 'IPMI password is longer than 20 bytes');
  }

  get active(): boolean {
    return this.keys !== undefined;
  }

  /** Runs `fn` after every earlier call on this session has finished. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Establishes the session (idempotent). */
  open(): Promise<void> {
    return this.serial(() => (this.keys ? Promise.resolve() : this.handshake()));
  }

  /**
   * Sends one command in the session and returns the response data after the completion code.
   * A session idle longer than `maxIdleMs` is re-established first (BMCs drop idle sessions,
   * commonly after 60 s, and then stay silent), and so is one that timed out on the last command.
   */
  command(req: IpmiRequest): Promise<Uint8Array> {
    return this.serial(async () => {
      const now = this.now();
      if (this.keys && now - this.lastUsed > (this.opts.maxIdleMs ?? 20_000)) this.keys = undefined;
      if (!this.keys) await this.handshake();
      try {
        const res = await this.sessionRequest(req);
        this.lastUsed = this.now();
        return this.checked(req, res);
      } catch (e) {
        if (isDragonflyError(e, 'DF_ERR_TIMEOUT')) this.keys = undefined;
        throw e;
      }
    });
  }

  /**
   * Routes this session's packets of `payloadType` (e.g. SOL) to `handler`, decrypted and
   * checked, instead of treating them as command answers. Returns the function that stops it.
   */
  onPayload(payloadType: number, handler: (plain: Uint8Array) => void): () => void {
    this.payloadHandlers.set(payloadType, handler);
    return () => {
      if (this.payloadHandlers.get(payloadType) === handler) this.payloadHandlers.delete(payloadType);
    };
  }

  /** Sends one packet of `payloadType` in the active session now (not queued behind commands). */
  sendPayload(payloadType: number, plain: Uint8Array, encrypt: boolean): void {
    if (!this.keys || !this.exchanger) throw new PowerError('ipmi', 'DF_ERR_UNAVAILABLE', `BMC ${this.peer}: no active session`);
    this.lastUsed = this.now();
    this.exchanger.sendOnce(sealedPayload(this.keys, this.bmcSessionId, this.nextSessionSequence(), payloadType, plain, this.random(16), encrypt));
  }

  /** The BMC's ID of this session (how Get Payload Instance Info names the console's holder). */
  get bmcSession(): number {
    return this.bmcSessionId;
  }

  private routePayload(packet: Uint8Array): boolean {
    const type = sessionPayloadType(packet);
    const handler = this.payloadHandlers.get(type);
    if (!handler || !this.keys) return false;
    const plain = openSealedPayload(this.keys, this.consoleSessionId, packet, type);
    if (isDecodeError(plain)) {
      this.accept(plain, () => false); // counted and dropped, never a command answer
      return true;
    }
    this.lastUsed = this.now();
    handler(plain);
    return true;
  }

  /** Closes the session on the BMC (best effort, one attempt) and the socket. Safe to call twice. */
  close(): Promise<void> {
    return this.serial(async () => {
      try {
        if (this.keys) await this.sessionRequest(closeSession(this.bmcSessionId), 0);
      } catch (e) {
        this.log.debug({ err: String(e) }, 'close session not acknowledged');
      } finally {
        this.keys = undefined;
        this.closeSocket?.();
        this.closeSocket = undefined;
        this.exchanger = undefined;
      }
    });
  }

  private async connect(): Promise<Exchanger> {
    if (this.exchanger) return this.exchanger;
    const socket = await (this.opts.socketFactory ?? udpSocketFactory)(this.opts.host, this.opts.port ?? 623);
    const policy = { timeoutMs: this.opts.timeoutMs ?? 1000, retries: this.opts.retries ?? 2 };
    this.exchanger = new Exchanger(socket, policy, this.peer);
    this.exchanger.tap = (packet) => this.routePayload(packet);
    this.closeSocket = () => socket.close();
    return this.exchanger;
  }

  private async handshake(): Promise<void> {
    const ex = await this.connect();
    await this.checkChannel(ex);
    const x = await this.openSessionAndRakp12(ex);
    await this.rakp34(ex, x);
    this.checked(setSessionPrivilege(Privilege.administrator), await this.sessionRequest(setSessionPrivilege(Privilege.administrator)));
    this.log.debug({ suite: this.suite.id }, 'IPMI session active');
  }

  private async checkChannel(ex: Exchanger): Promise<void> {
    const req = getChannelAuthCapabilities(Privilege.administrator);
    const msg = consoleRequest(req.netFn, req.command, this.nextRequestSequence(), req.data);
    const res = await ex.exchange(req.label, () => v15Packet(msg), (p) => this.accept(parseV15Response(p), (m) => answers(m, msg)));
    const caps = res.data[0] === 0 ? parseChannelAuthCapabilities(res.data.subarray(1)) : undefined;
    if (!caps || isDecodeError(caps) || !caps.ipmi20) {
      throw new PowerError('ipmi', 'DF_ERR_UNAVAILABLE', `BMC ${this.peer} does not offer IPMI v2.0 (RMCP+) sessions on this channel`);
    }
  }

  private async openSessionAndRakp12(ex: Exchanger): Promise<RakpExchange> {
    this.consoleSessionId = (new DataView(this.random(4).buffer).getUint32(0) | 1) >>> 0;
    const tag = this.nextTag();
    const open = encodeOpenSessionRequest({
      tag, maxPrivilege: Privilege.administrator, consoleSessionId: this.consoleSessionId,
      algorithms: { authentication: this.suite.authentication, integrity: this.suite.integrity, confidentiality: this.suite.confidentiality },
    });
    const opened = await ex.exchange('Open Session', () => setupPacket(PayloadType.openSessionRequest, open), (p) => {
      const payload = parseSetupResponse(p, PayloadType.openSessionResponse);
      return this.accept(isDecodeError(payload) ? payload : decodeOpenSessionResponse(payload), (r) => r.tag === tag && this.forUs(r));
    });
    if (opened.status !== RakpStatus.ok) throw rakpFailure(this.peer, this.opts.username, this.suite.id, 'Open Session', opened.status);
    this.bmcSessionId = opened.bmcSessionId;
    return this.rakp12(ex);
  }

  private async rakp12(ex: Exchanger): Promise<RakpExchange> {
    const username = utf8.encode(this.opts.username);
    const consoleRandom = this.random(16);
    const role = ROLE_NAME_ONLY | Privilege.administrator;
    const tag = this.nextTag();
    const rakp1 = encodeRakp1({ tag, bmcSessionId: this.bmcSessionId, consoleRandom, role, username });
    const rakp2 = await ex.exchange('RAKP Message 1', () => setupPacket(PayloadType.rakp1, rakp1), (p) => {
      const payload = parseSetupResponse(p, PayloadType.rakp2);
      return this.accept(isDecodeError(payload) ? payload : decodeRakp2(payload), (r) => r.tag === tag && this.forUs(r));
    });
    if (rakp2.status !== RakpStatus.ok) throw rakpFailure(this.peer, this.opts.username, this.suite.id, 'RAKP Message 2', rakp2.status);
    const x: RakpExchange = {
      consoleSessionId: this.consoleSessionId, bmcSessionId: this.bmcSessionId, consoleRandom,
      bmcRandom: rakp2.bmcRandom, bmcGuid: rakp2.bmcGuid, role, username,
    };
    if (!equalBytes(rakp2AuthCode(this.suite, this.kuid(), x), rakp2.authCode)) {
      // Tell the BMC to drop the half-open session (RAKP3 with an error status), then stop:
      // retrying with the same password would only fill the BMC's session table.
      ex.sendOnce(setupPacket(PayloadType.rakp3, encodeRakp34({ tag: this.nextTag(), status: RakpStatus.invalidIntegrityCheckValue, sessionId: this.bmcSessionId, authCode: new Uint8Array(0) })));
      throw this.wrongPassword();
    }
    return x;
  }

  private async rakp34(ex: Exchanger, x: RakpExchange): Promise<void> {
    const tag = this.nextTag();
    const rakp3 = encodeRakp34({ tag, status: RakpStatus.ok, sessionId: this.bmcSessionId, authCode: rakp3AuthCode(this.suite, this.kuid(), x) });
    const rakp4 = await ex.exchange('RAKP Message 3', () => setupPacket(PayloadType.rakp3, rakp3), (p) => {
      const payload = parseSetupResponse(p, PayloadType.rakp4);
      return this.accept(isDecodeError(payload) ? payload : decodeRakp34(payload, 'rakp4'), (r) => r.tag === tag);
    });
    if (rakp4.status !== RakpStatus.ok) throw rakpFailure(this.peer, this.opts.username, this.suite.id, 'RAKP Message 4', rakp4.status);
    const kg = this.opts.kg ? utf8.encode(this.opts.kg) : this.kuid();
    const sik = sessionIntegrityKey(this.suite, kg, x);
    if (!equalBytes(rakp4Icv(this.suite, sik, x), rakp4.authCode)) {
      throw powerUnauthorized('ipmi', `BMC ${this.peer}: RAKP4 integrity check failed (wrong BMC key Kg?)`);
    }
    this.keys = sessionKeys(this.suite, sik);
    this.sessionSequence = 0;
    this.lastUsed = this.now();
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** A successful setup answer must name our session ID (an error answer may omit it). */
  private forUs(r: { status: number; consoleSessionId: number }): boolean {
    return r.status !== RakpStatus.ok || r.consoleSessionId === this.consoleSessionId;
  }

  private kuid(): Uint8Array {
    return utf8.encode(this.opts.password);
  }

  private wrongPassword(): PowerError {
    return powerUnauthorized('ipmi', `BMC ${this.peer} rejected user '${this.opts.username}': wrong password or user`);
  }

  /** One request/response inside the active session; each attempt gets a new session sequence number. */
  private async sessionRequest(req: IpmiRequest, retries?: number): Promise<LanMessage> {
    const ex = this.exchanger!;
    const keys = this.keys!;
    const msg = consoleRequest(req.netFn, req.command, this.nextRequestSequence(), req.data);
    const build = () => sealedPacket(keys, this.bmcSessionId, this.nextSessionSequence(), msg, this.random(16));
    const accept = (p: Uint8Array) => this.accept(openSealedPacket(keys, this.consoleSessionId, p), (m) => answers(m, msg));
    return ex.exchange(req.label, build, accept, retries);
  }

  private checked(req: IpmiRequest, res: LanMessage): Uint8Array {
    const cc = res.data[0] ?? 0xff;
    this.opts.trace?.({ request: req, completionCode: cc, response: res.data.slice(1) });
    if (cc === 0) return res.data.slice(1);
    if (req.command === 0x3b && (cc === 0x81 || cc === 0x82 || cc === 0xd4)) {
      throw powerUnauthorized('ipmi', `BMC ${this.peer} does not allow user '${this.opts.username}' Administrator privilege`);
    }
    throw new PowerError('ipmi', 'DF_ERR_UNAVAILABLE', `BMC ${this.peer} refused ${req.label}: ${completionCodeText(cc)}`, { completionCode: cc });
  }

  /** Keeps a decoded packet that `matches`; drops (and counts) anything else. */
  private accept<T>(decoded: T | DecodeError, matches: (v: T) => boolean): T | undefined {
    if (isDecodeError(decoded)) {
      this.dropped++;
      this.log.debug({ field: decoded.field }, `dropped packet: ${decoded.message}`);
      return undefined;
    }
    if (matches(decoded)) return decoded;
    this.dropped++;
    return undefined;
  }

  private nextRequestSequence(): number {
    this.requestSequence = (this.requestSequence + 1) & 0x3f;
    return this.requestSequence;
  }

  private nextSessionSequence(): number {
    // Sequence 0 is reserved for packets outside a session; wrap from 2^32-1 to 1.
    this.sessionSequence = this.sessionSequence >= 0xffffffff ? 1 : this.sessionSequence + 1;
    return this.sessionSequence;
  }

  private nextTag(): number {
    this.tag = (this.tag + 1) & 0xff;
    return this.tag;
  }
}
