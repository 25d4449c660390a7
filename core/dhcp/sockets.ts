/**
 * The socket seam. Servers receive a SocketFactory; production uses Node's dgram bound to
 * 0.0.0.0 and tied to one interface (bind-to-interface.ts); tests may bind to loopback or
 * use an in-memory factory.
 */
import { createSocket } from 'node:dgram';
import { DragonflyError } from '../shared/errors.ts';
import { privilegedPortFix } from '../shared/privileged-ports.ts';
import { bindAddressFor, bindToInterface } from './bind-to-interface.ts';

export interface Remote {
  address: string;
  port: number;
}

export interface DatagramSocket {
  send(data: Uint8Array, port: number, address: string): Promise<void>;
  close(): Promise<void>;
}

export interface SocketSpec {
  port: number;
  /** Interface to tie the socket to; undefined = no tie (tests on loopback). */
  iface?: string;
  /** Address to bind; default 0.0.0.0 (or the interface address on Windows). */
  address?: string;
  onMessage(data: Uint8Array, from: Remote): void;
  /** Errors after the socket is up (e.g. ICMP-triggered send errors). */
  onError?(err: Error): void;
}

export type SocketFactory = (spec: SocketSpec) => Promise<DatagramSocket>;

/** Turns bind errors into messages that say how to fix them (DESIGN.md section 9). */
export function bindError(e: NodeJS.ErrnoException, port: number, iface?: string): DragonflyError {
  if (e.code === 'EACCES' || e.code === 'EPERM') {
    return new DragonflyError(
      'DF_ERR_FORBIDDEN',
      `not allowed to bind UDP port ${port}${iface ? ` on ${iface}` : ''}: ports below 1024 need privileges. ${privilegedPortFix()}`,
    );
  }
  if (e.code === 'EADDRINUSE') {
    return new DragonflyError('DF_ERR_CONFLICT', `UDP port ${port} is already in use${iface ? ` on ${iface}` : ''}: another DHCP/PXE server (dnsmasq, dhcpd, another Dragonfly) is running here`);
  }
  if (e instanceof DragonflyError) return e;
  return new DragonflyError('DF_ERR_UNAVAILABLE', `cannot bind UDP port ${port}: ${e.message}`);
}

export const nodeSocketFactory: SocketFactory = (spec) =>
  new Promise((resolve, reject) => {
    // reuseAddr lets one Dragonfly serve several interfaces (one socket each, all on :67).
    const sock = createSocket({ type: 'udp4', reuseAddr: true });
    let up = false;
    sock.on('error', (err) => {
      if (!up) {
        sock.close();
        reject(bindError(err, spec.port, spec.iface));
      } else spec.onError?.(err);
    });
    sock.on('message', (msg, rinfo) => spec.onMessage(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), { address: rinfo.address, port: rinfo.port }));
    let address: string;
    try {
      address = spec.address ?? bindAddressFor(spec.iface);
    } catch (e) {
      reject(e);
      return;
    }
    sock.bind(spec.port, address, () => {
      try {
        sock.setBroadcast(true);
        if (spec.iface) bindToInterface(sock, spec.iface);
      } catch (e) {
        sock.close();
        reject(e);
        return;
      }
      up = true;
      resolve({
        send: (data, port, addr) =>
          new Promise((res, rej) => sock.send(data, port, addr, (err) => (err ? rej(err) : res()))),
        close: () => new Promise((res) => sock.close(() => res())),
      });
    });
  });
