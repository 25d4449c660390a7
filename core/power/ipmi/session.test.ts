/**
 * Session behaviour against an in-memory BMC speaking cipher suite 17 (ipmi_sim only has
 * SHA-1, see ipmi-driver.test.ts). The fake BMC derives its keys with node:crypto directly,
 * following IPMI v2.0 section 13.31-13.32, not with crypto.ts.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isDragonflyError } from '../../shared/errors.ts';
import { createIpmiDriver, type IpmiDriverOptions } from './ipmi-driver.ts';
import { decodeLanMessage, encodeLanMessage, type LanMessage } from './lan-message.ts';
import { openSealedPacket, sealedPacket, type SessionKeys } from './packets.ts';
import { SUITE_17 } from './crypto.ts';
import { decodeOpenSessionRequest, decodeRakp1, decodeRakp34, encodeOpenSessionRequest, encodeRakp2, encodeRakp34 } from './rakp.ts';
import { decodeRmcp, rmcpIpmi } from './rmcp.ts';
import { decodeSessionV15, encodeSessionV15 } from './session-v15.ts';
import { decodeSessionV20, encodeSessionV20 } from './session-v20.ts';
import type { IpmiSocketFactory } from './transport.ts';
import { isDecodeError } from './wire.ts';

const le32 = (v: number) => Buffer.from([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]);
const sha256 = (key: Uint8Array, ...data: Uint8Array[]) => new Uint8Array(createHmac('sha256', key).update(Buffer.concat(data)).digest());

class FakeBmc {
  power = false;
  opened = 0;
  /** Responses to IPMI commands to swallow before answering (simulates loss). */
  dropCommandReplies = 0;
  /** Send a corrupted copy before each command reply. */
  corruptFirst = false;
  sent = 0;
  private reply: (p: Uint8Array) => void = () => {};
  private s = { bmcSid: 0x11223344, consoleSid: 0, rm: new Uint8Array(0), rc: new Uint8Array(16).fill(0x5c), role: 0, user: new Uint8Array(0) };
  private keys: SessionKeys | undefined;
  private seq = 0;
  readonly guid = new Uint8Array(16).fill(0xab);

  constructor(private readonly password = 'secret') {}

  factory: IpmiSocketFactory = async () => ({
    send: (p) => {
      this.sent++;
      setImmediate(() => this.handle(p));
    },
    onMessage: (h) => (this.reply = h),
    close: () => {},
  });

  private handle(packet: Uint8Array): void {
    const rmcp = decodeRmcp(packet);
    if (isDecodeError(rmcp)) return;
    if (rmcp.body[0] !== 6) return this.channelCaps(rmcp.body);
    const s = decodeSessionV20(rmcp.body, this.keys ? 16 : 0);
    if (isDecodeError(s)) return;
    if (s.payloadType === 0x10) this.openSession(s.payload);
    else if (s.payloadType === 0x12) this.rakp2(s.payload);
    else if (s.payloadType === 0x14) this.rakp4(s.payload);
    else if (s.payloadType === 0 && this.keys) this.command(packet);
  }

  private setup(type: number, payload: Uint8Array): void {
    this.reply(rmcpIpmi(encodeSessionV20({ payloadType: type, encrypted: false, authenticated: false, sessionId: 0, sequence: 0, payload })));
  }

  private channelCaps(body: Uint8Array): void {
    const s = decodeSessionV15(body);
    const req = isDecodeError(s) ? s : decodeLanMessage(s.payload);
    if (isDecodeError(req)) return;
    const res = this.response(req, Uint8Array.of(0, 1, 0x84, 0x04, 0x02, 0, 0, 0, 0));
    this.reply(rmcpIpmi(encodeSessionV15({ authType: 0, sequence: 0, sessionId: 0, payload: encodeLanMessage(res) })));
  }

  private openSession(payload: Uint8Array): void {
    const req = decodeOpenSessionRequest(payload);
    if (isDecodeError(req)) return;
    this.opened++;
    this.keys = undefined;
    this.s.consoleSid = req.consoleSessionId;
    const a = req.algorithms;
    if (a.authentication !== 3 || a.integrity !== 4 || a.confidentiality !== 1) return this.setup(0x11, Uint8Array.of(req.tag, 0x11));
    const records = encodeOpenSessionRequest(req).subarray(8);
    this.setup(0x11, Uint8Array.of(req.tag, 0, 4, 0, ...le32(req.consoleSessionId), ...le32(this.s.bmcSid), ...records));
  }

  private rakp2(payload: Uint8Array): void {
    const m = decodeRakp1(payload);
    if (isDecodeError(m)) return;
    Object.assign(this.s, { rm: m.consoleRandom, role: m.role, user: m.username });
    const kuid = Buffer.from(this.password);
    const code = sha256(kuid, le32(this.s.consoleSid), le32(this.s.bmcSid), m.consoleRandom, this.s.rc, this.guid, Uint8Array.of(m.role, m.username.length), m.username);
    this.setup(0x13, encodeRakp2({ tag: m.tag, status: 0, consoleSessionId: this.s.consoleSid, bmcRandom: this.s.rc, bmcGuid: this.guid, authCode: code }));
  }

  private rakp4(payload: Uint8Array): void {
    const m = decodeRakp34(payload, 'rakp3');
    if (isDecodeError(m) || m.status !== 0) return;
    const kuid = Buffer.from(this.password);
    const tail = Uint8Array.of(this.s.role, this.s.user.length);
    const expected = sha256(kuid, this.s.rc, le32(this.s.consoleSid), tail, this.s.user);
    if (Buffer.compare(Buffer.from(expected), Buffer.from(m.authCode)) !== 0) {
      return this.setup(0x15, encodeRakp34({ tag: m.tag, status: 0x0f, sessionId: this.s.consoleSid, authCode: new Uint8Array(0) }));
    }
    const sik = sha256(kuid, this.s.rm, this.s.rc, tail, this.s.user);
    const icv = sha256(sik, this.s.rm, le32(this.s.bmcSid), this.guid).slice(0, 16);
    this.keys = { suite: SUITE_17, k1: sha256(sik, new Uint8Array(20).fill(1)), k2: sha256(sik, new Uint8Array(20).fill(2)) };
    this.setup(0x15, encodeRakp34({ tag: m.tag, status: 0, sessionId: this.s.consoleSid, authCode: icv }));
  }

  private command(packet: Uint8Array): void {
    // The BMC's view is the mirror image: it receives on its own session ID.
    const req = openSealedPacket(this.keys!, this.s.bmcSid, packet);
    if (isDecodeError(req)) return;
    const data = this.execute(req);
    if (this.dropCommandReplies > 0 && this.dropCommandReplies--) return;
    const out = sealedPacket(this.keys!, this.s.consoleSid, ++this.seq, this.response(req, data), new Uint8Array(16).fill(this.seq));
    if (this.corruptFirst) {
      const bad = out.slice();
      bad[bad.length - 1] ^= 0xff;
      this.reply(bad);
    }
    this.reply(out);
  }

  private execute(req: LanMessage): Uint8Array {
    if (req.netFn === 0 && req.command === 0x01) return Uint8Array.of(0, this.power ? 1 : 0, 0, 0);
    if (req.netFn === 0 && req.command === 0x02) this.power = req.data[0] === 1 ? true : req.data[0] === 0 ? false : this.power;
    return Uint8Array.of(0, ...(req.command === 0x3b ? [4] : []));
  }

  private response(req: LanMessage, data: Uint8Array): LanMessage {
    return { targetAddress: req.sourceAddress, netFn: req.netFn + 1, targetLun: req.sourceLun, sourceAddress: req.targetAddress, sequence: req.sequence, sourceLun: req.targetLun, command: req.command, data };
  }
}

const options = (bmc: FakeBmc, extra: Partial<IpmiDriverOptions> = {}): IpmiDriverOptions => ({
  host: '127.0.0.1', port: 623, username: 'admin', password: 'secret', cipherSuite: 17, timeoutMs: 100, retries: 2, socketFactory: bmc.factory, ...extra,
});

describe('IPMI session with cipher suite 17 (HMAC-SHA256, HMAC-SHA256-128, AES-CBC-128)', () => {
  it('opens a session, reads and changes power state', async () => {
    const bmc = new FakeBmc();
    const d = createIpmiDriver(options(bmc));
    expect(await d.status()).toBe('off');
    await d.on();
    expect(bmc.power).toBe(true);
    expect(await d.status()).toBe('on');
    await d.close();
    expect(bmc.opened).toBe(1);
  });

  it('fails with DF_ERR_UNAUTHORIZED when the BMC knows another password', async () => {
    const bmc = new FakeBmc('other');
    const err = await createIpmiDriver(options(bmc)).status().catch((e) => e);
    expect(isDragonflyError(err, 'DF_ERR_UNAUTHORIZED')).toBe(true);
    expect(err.message).toBe("BMC 127.0.0.1:623 rejected user 'admin': wrong password or user");
  });

  it('resends a command whose reply was lost, and drops a reply with a bad integrity code', async () => {
    const bmc = new FakeBmc();
    const d = createIpmiDriver(options(bmc));
    await d.status(); // session up
    bmc.dropCommandReplies = 1;
    bmc.corruptFirst = true;
    bmc.power = true;
    expect(await d.status()).toBe('on');
    expect(d.session.dropped).toBeGreaterThan(0);
    await d.close();
  });

  it('opens a new session after the idle limit, since BMCs silently drop idle sessions', async () => {
    const bmc = new FakeBmc();
    let now = 0;
    const d = createIpmiDriver(options(bmc, { maxIdleMs: 30_000, now: () => now }));
    await d.status();
    now = 10_000;
    await d.status();
    expect(bmc.opened).toBe(1);
    now = 50_000;
    await d.status();
    expect(bmc.opened).toBe(2);
    await d.close();
  });
});

describe('IPMI credentials', () => {
  it('refuses a user name over 16 bytes or a password over 20 bytes before sending anything', () => {
    const bmc = new FakeBmc();
    expect(() => createIpmiDriver(options(bmc, { username: 'u'.repeat(17) }))).toThrow(/longer than 16 bytes/);
    expect(() => createIpmiDriver(options(bmc, { password: 'p'.repeat(21) }))).toThrow(/longer than 20 bytes/);
    expect(bmc.sent).toBe(0);
  });
});
