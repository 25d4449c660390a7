/**
 * A Serial-over-LAN console on one BMC (IPMI v2.0 section 15 and 24), natively over the
 * RMCP+ session: activate the SOL payload, stream characters (sol-stream.ts), watch that the
 * console is still ours, deactivate on close. When another client holds the console the BMC
 * refuses activation (completion code 0x80): we say who holds it, and take it over only when
 * asked (Deactivate Payload works on any session's instance at Administrator privilege).
 */
import { DragonflyError, isDragonflyError } from '../../shared/errors.ts';
import { PowerError } from '../driver.ts';
import {
  activateSol, ActivateCode, deactivateSol, getSessionInfo, getSolInstanceInfo, getUserName, parseInstanceSession,
  parseSessionInfo, parseSolActivation, parseUserName,
} from './payload-commands.ts';
import { PayloadType } from './session-v20.ts';
import { IpmiSession, type IpmiSessionOptions } from './session.ts';
import { SolStream } from './sol-stream.ts';
import { isDecodeError } from './wire.ts';

/** Who holds a console, as far as the BMC tells (any field may be unknown). */
export interface SolHolder {
  sessionId: number;
  user?: string;
  address?: string;
  port?: number;
}

export type SolEnd =
  | { reason: 'closed' } // we closed it
  | { reason: 'taken'; holder?: SolHolder } // another client activated SOL after deactivating ours
  | { reason: 'bmc-deactivated' | 'bmc-silent' | 'bmc-lost'; message: string };

export interface SolConsoleOptions extends IpmiSessionOptions {
  /** Deactivate another client's console to take it (default false: fail naming the holder). */
  takeOver?: boolean;
  /** How often to check the console is still ours and keep the session alive, ms (default 5000). */
  watchMs?: number;
  /** SOL retransmission wait, ms (default 500), and resends (default 7). */
  solRetryMs?: number;
  solRetries?: number;
  onData(bytes: Uint8Array): void;
  onEnd(end: SolEnd): void;
}

export interface SolConsole {
  write(bytes: Uint8Array): void;
  sendBreak(): void;
  /** Deactivates the payload and closes the session. Safe to call twice. */
  close(): Promise<void>;
}

export const describeHolder = (h: SolHolder | undefined): string => {
  if (!h) return 'another client';
  const who = h.user ? `user '${h.user}'` : `session 0x${h.sessionId.toString(16)}`;
  return h.address ? `${who} from ${h.address}${h.port ? `:${h.port}` : ''}` : who;
};

/** Asks the BMC who holds SOL instance 1; undefined when nobody does or the BMC will not say. */
export async function solHolder(session: IpmiSession): Promise<SolHolder | undefined> {
  const sessionId = parseInstanceSession(await session.command(getSolInstanceInfo()));
  if (isDecodeError(sessionId) || sessionId === 0) return undefined;
  const holder: SolHolder = { sessionId };
  try {
    const info = parseSessionInfo(await session.command(getSessionInfo(sessionId)));
    if (isDecodeError(info)) return holder;
    Object.assign(holder, { address: info.address, port: info.port });
    const user = parseUserName(await session.command(getUserName(info.userId)));
    if (!isDecodeError(user) && user) holder.user = user;
  } catch (e) {
    if (!isDragonflyError(e)) throw e; // a BMC without these commands still told us the session
  }
  return holder;
}

/** Who holds SOL on the BMC now, asked over a session of our own that activates nothing. */
export async function querySolHolder(opts: IpmiSessionOptions): Promise<SolHolder | undefined> {
  const session = new IpmiSession(opts);
  try {
    await session.open();
    return await solHolder(session);
  } finally {
    await session.close();
  }
}

interface Activated {
  inboundSize: number;
  encrypted: boolean;
}

async function activateOnce(session: IpmiSession, encrypt: boolean): Promise<Activated> {
  const a = parseSolActivation(await session.command(activateSol(encrypt, true)));
  if (isDecodeError(a)) throw new PowerError('ipmi', 'DF_ERR_UNAVAILABLE', `BMC ${session.peer}: ${a.message}`);
  return { inboundSize: a.inboundSize, encrypted: encrypt };
}

const completionCode = (e: unknown) => (e instanceof PowerError ? (e.details as { completionCode?: number } | undefined)?.completionCode : undefined);

async function activate(session: IpmiSession, takeOver: boolean, encrypt: boolean): Promise<Activated> {
  try {
    return await activateOnce(session, encrypt);
  } catch (e) {
    const cc = completionCode(e);
    if (cc === ActivateCode.alreadyActive) {
      const holder = await solHolder(session).catch(() => undefined);
      if (!takeOver) {
        throw new DragonflyError('DF_ERR_CONFLICT', `the console of BMC ${session.peer} is held by ${describeHolder(holder)}`, { holder });
      }
      await session.command(deactivateSol());
      return activate(session, false, encrypt);
    }
    // The BMC insists on (0x84) or refuses (0x83) encrypted SOL: do as it says, once.
    if (cc === ActivateCode.needsEncryption || cc === ActivateCode.noEncryption) return activateOnce(session, cc === ActivateCode.needsEncryption);
    if (cc === ActivateCode.disabled) throw new PowerError('ipmi', 'DF_ERR_UNAVAILABLE', `BMC ${session.peer} has Serial-over-LAN disabled`);
    throw e;
  }
}

export async function openSolConsole(opts: SolConsoleOptions): Promise<SolConsole> {
  const session = new IpmiSession(opts);
  const encrypt = true; // both supported suites (3, 17) have AES-CBC-128; 0x83 makes us retry without
  let activated: Activated;
  try {
    await session.open();
    activated = await activate(session, opts.takeOver ?? false, encrypt);
  } catch (e) {
    await session.close();
    throw e;
  }
  return new ActiveConsole(session, opts, activated.inboundSize, activated.encrypted);
}

class ActiveConsole implements SolConsole {
  private readonly stream: SolStream;
  private readonly stopRouting: () => void;
  private readonly watch: NodeJS.Timeout;
  private done = false;

  constructor(private readonly session: IpmiSession, private readonly opts: SolConsoleOptions, inboundSize: number, encrypt: boolean) {
    this.stream = new SolStream(
      { maxPayload: Math.min(inboundSize || 64, 255 + 4), retryMs: opts.solRetryMs, retries: opts.solRetries },
      {
        send: (plain) => this.session.sendPayload(PayloadType.sol, plain, encrypt),
        onData: (bytes) => opts.onData(bytes),
        onEnd: (reason) => void this.finish({ reason, message: reason === 'bmc-silent' ? `BMC ${session.peer} stopped acknowledging console data` : `BMC ${session.peer} ended the console` }),
      },
    );
    this.stopRouting = session.onPayload(PayloadType.sol, (plain) => this.stream.receive(plain));
    this.stream.start();
    this.watch = setInterval(() => void this.check(), opts.watchMs ?? 5000);
  }

  write(bytes: Uint8Array): void {
    this.stream.write(bytes);
  }

  sendBreak(): void {
    this.stream.sendBreak();
  }

  close(): Promise<void> {
    return this.finish({ reason: 'closed' });
  }

  /** Still ours? Also keeps the session from idling out while nobody types. */
  private async check(): Promise<void> {
    if (this.done) return;
    try {
      const holder = await solHolder(this.session);
      if (!this.done && holder?.sessionId !== this.session.bmcSession) await this.finish({ reason: 'taken', holder });
    } catch (e) {
      // A BMC without Get Payload Instance Info still answered, so the session is alive;
      // only silence (a timeout) means the BMC is gone.
      if (!this.done && isDragonflyError(e, 'DF_ERR_TIMEOUT')) await this.finish({ reason: 'bmc-lost', message: (e as Error).message });
    }
  }

  private async finish(end: SolEnd): Promise<void> {
    if (this.done) return;
    this.done = true;
    clearInterval(this.watch);
    this.stream.stop();
    this.stopRouting();
    // Ours to release only when we still hold it; a taken console belongs to its new holder.
    if (end.reason === 'closed') await this.session.command(deactivateSol()).catch(() => undefined);
    await this.session.close();
    this.opts.onEnd(end);
  }
}
