/**
 * UDP transport for one BMC: an injectable socket and the request/retry loop. IPMI over
 * LAN is UDP with no delivery guarantee, so every request is resent after `timeoutMs`, at
 * most `retries` times, and then fails with DF_ERR_TIMEOUT (bounded: (retries + 1) × timeoutMs).
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { powerTimeout } from '../driver.ts';

export interface IpmiSocket {
  send(packet: Uint8Array): void;
  /** Sets the handler for datagrams from the BMC (others are filtered out). */
  onMessage(handler: (packet: Uint8Array) => void): void;
  close(): void;
}

/** Opens a socket that talks to one BMC. Tests pass their own to observe or drop packets. */
export type IpmiSocketFactory = (host: string, port: number) => Promise<IpmiSocket>;

export const udpSocketFactory: IpmiSocketFactory = async (host, port) => {
  const address = isIP(host) ? host : (await lookup(host)).address;
  const socket = dgram.createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
  // ICMP errors (port unreachable) surface as 'error' events on some platforms: the retry
  // loop already turns silence into a timeout, so they are not fatal here.
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.bind(0, resolve));
  let handler: (packet: Uint8Array) => void = () => {};
  socket.on('message', (msg, rinfo) => {
    if (rinfo.port === port && rinfo.address === address) handler(new Uint8Array(msg));
  });
  let closed = false;
  return {
    send: (packet) => {
      if (!closed) socket.send(packet, port, address);
    },
    onMessage: (h) => {
      handler = h;
    },
    close: () => {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
};

export interface RetryPolicy {
  /** Wait per attempt, ms (default 1000; must be > 0). */
  timeoutMs: number;
  /** Resends after the first attempt (default 2, i.e. 3 attempts; 0 = a single attempt). */
  retries: number;
}

/**
 * One outstanding exchange at a time (callers serialize). `build(attempt)` makes the packet
 * for each attempt (1-based) so session sequence numbers can advance; `accept` returns the
 * decoded answer, undefined to ignore a packet, or throws to fail at once without retrying.
 */
export class Exchanger {
  private waiter: ((packet: Uint8Array) => void) | undefined;
  /** Sees every packet first; returns true for one it consumed (SOL data is not a command answer). */
  tap: ((packet: Uint8Array) => boolean) | undefined;

  constructor(
    private readonly socket: IpmiSocket,
    private readonly policy: RetryPolicy,
    private readonly peer: string,
  ) {
    socket.onMessage((packet) => {
      if (!this.tap?.(packet)) this.waiter?.(packet);
    });
  }

  exchange<T>(
    what: string,
    build: (attempt: number) => Uint8Array,
    accept: (packet: Uint8Array) => T | undefined,
    retries = this.policy.retries,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let attempt = 0;
      let timer: NodeJS.Timeout | undefined;
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.waiter = undefined;
        settle();
      };
      this.waiter = (packet) => {
        let answer: T | undefined;
        try {
          answer = accept(packet);
        } catch (e) {
          finish(() => reject(e));
          return;
        }
        if (answer !== undefined) finish(() => resolve(answer));
      };
      const send = () => {
        if (attempt > retries) {
          const ms = this.policy.timeoutMs;
          finish(() => reject(powerTimeout('ipmi', `BMC ${this.peer} did not answer ${what} (${attempt} attempts × ${ms} ms)`)));
          return;
        }
        attempt++;
        try {
          this.socket.send(build(attempt));
        } catch (e) {
          finish(() => reject(e));
          return;
        }
        timer = setTimeout(send, this.policy.timeoutMs);
      };
      send();
    });
  }

  /** Sends once without waiting for an answer (best-effort notices such as a RAKP3 error). */
  sendOnce(packet: Uint8Array): void {
    this.socket.send(packet);
  }
}
