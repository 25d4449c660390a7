/**
 * Trust-on-first-use for BMC certificates. BMCs ship self-signed certificates, so the chain
 * cannot be verified; instead the SHA-256 fingerprint of the leaf certificate is pinned the
 * first time and every later connection must present the same one. The check runs on the
 * connected socket before any request byte (and so any credential) is written.
 */
import https from 'node:https';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';

/** "ab:cd..." or "ABCD..." -> "AB:CD:..." (the form Node's `fingerprint256` uses). */
export function normalizeFingerprint(fp: string): string {
  const hex = fp.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  return hex.match(/../g)?.join(':') ?? '';
}

export type PinVerdict = { ok: true; firstUse: boolean } | { ok: false; reason: string };

/** The pin decision: no pin yet means trust this one; a pin must match exactly. */
export function checkPin(pinned: string | undefined, presented: string): PinVerdict {
  if (pinned === undefined || pinned === '') return { ok: true, firstUse: true };
  if (normalizeFingerprint(pinned) === normalizeFingerprint(presented)) return { ok: true, firstUse: false };
  return {
    ok: false,
    reason:
      `BMC certificate changed: pinned SHA-256 ${normalizeFingerprint(pinned)} but the BMC presented ` +
      `${normalizeFingerprint(presented)}; if the BMC's certificate was replaced on purpose, clear the stored fingerprint`,
  };
}

/** Holds the pin for one BMC; `pinned` is filled on first use and reported through `onPin`. */
export class CertificatePin {
  pinned: string | undefined;
  private readonly onPin: (fingerprint: string) => void;

  constructor(pinned: string | undefined, onPin: (fingerprint: string) => void = () => {}) {
    this.pinned = pinned ? normalizeFingerprint(pinned) : undefined;
    this.onPin = onPin;
  }

  /** Throws the mismatch reason; records and reports a first-use pin. */
  verify(presented: string): void {
    const verdict = checkPin(this.pinned, presented);
    if (!verdict.ok) throw new Error(verdict.reason);
    if (verdict.firstUse) {
      this.pinned = normalizeFingerprint(presented);
      this.onPin(this.pinned);
    }
  }
}

type ConnectCallback = (err: Error | null, stream: Duplex) => void;

/**
 * An https.Agent whose sockets are handed to the HTTP layer only after the pin check passed.
 * Node's Agent accepts an asynchronous createConnection that calls back with the socket.
 */
export class PinningAgent extends https.Agent {
  private readonly pin: CertificatePin;

  constructor(pin: CertificatePin, options: https.AgentOptions = {}) {
    super({ keepAlive: true, maxSockets: 4, ...options, rejectUnauthorized: false });
    this.pin = pin;
  }

  override createConnection(options: https.RequestOptions, callback?: ConnectCallback): Duplex | undefined {
    const socket = tls.connect({ ...(options as tls.ConnectionOptions), rejectUnauthorized: false });
    const fail = (err: Error) => {
      socket.destroy();
      callback?.(err, socket);
    };
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      socket.off('error', fail);
      try {
        this.pin.verify(socket.getPeerCertificate().fingerprint256 ?? '');
      } catch (err) {
        fail(err as Error);
        return;
      }
      callback?.(null, socket);
    });
    return undefined;
  }
}
