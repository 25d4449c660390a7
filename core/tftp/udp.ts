/** UDP socket plumbing for the TFTP server: creation, binding, and errors that say how to fix them. */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { privilegedPortFix } from '../shared/privileged-ports.ts';
import { DragonflyError } from '../shared/errors.ts';

export type UdpSocketFactory = (type: 'udp4' | 'udp6') => dgram.Socket;

export const defaultSocketFactory: UdpSocketFactory = (type) => dgram.createSocket({ type, reuseAddr: false });

export function socketTypeFor(address: string): 'udp4' | 'udp6' {
  return isIP(address) === 6 ? 'udp6' : 'udp4';
}

/** Binds, resolving once bound; rejects with the raw socket error. */
export function bindUdp(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

/**
 * Turns a failed bind of the listening port into an error an operator can act on
 * (design section 9: say exactly why and how to fix it, and let the rest run).
 */
export function listenError(e: unknown, address: string, port: number): DragonflyError {
  const code = (e as NodeJS.ErrnoException).code;
  const where = `UDP ${address}:${port}`;
  if (code === 'EACCES' || code === 'EPERM') {
    return new DragonflyError(
      'DF_ERR_FORBIDDEN',
      `TFTP cannot listen on ${where}: permission denied. Ports below 1024 need privileges. ${privilegedPortFix()}`,
      { address, port, errno: code },
    );
  }
  if (code === 'EADDRINUSE') {
    return new DragonflyError(
      'DF_ERR_UNAVAILABLE',
      `TFTP cannot listen on ${where}: the port is in use, probably by another TFTP server ` +
        `(tftpd-hpa, dnsmasq). Stop it (e.g. \`sudo systemctl stop tftpd-hpa\`) or pick another port.`,
      { address, port, errno: code },
    );
  }
  if (code === 'EADDRNOTAVAIL') {
    return new DragonflyError(
      'DF_ERR_UNAVAILABLE',
      `TFTP cannot listen on ${where}: no interface has that address. Check the provisioning interface.`,
      { address, port, errno: code },
    );
  }
  return new DragonflyError('DF_ERR_UNAVAILABLE', `TFTP cannot listen on ${where}: ${(e as Error).message}`, {
    address,
    port,
    errno: code,
  });
}

/** Closes a socket, ignoring one that is already closed. */
export function closeQuietly(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

/**
 * Sends to one peer and closes the socket only once every queued datagram has left:
 * node:dgram sends asynchronously, and a close right after a send drops it (the final
 * ERROR of an aborted transfer would never reach the client).
 */
export function flushingSender(socket: dgram.Socket, to: { address: string; port: number }) {
  let pending = 0;
  let closeWanted = false;
  const sent = () => {
    if (--pending === 0 && closeWanted) closeQuietly(socket);
  };
  return {
    send(datagram: Uint8Array): void {
      if (closeWanted) return;
      pending++;
      try {
        socket.send(datagram, to.port, to.address, sent);
      } catch {
        sent(); // socket already closed by an error: nothing more to flush
      }
    },
    closeWhenFlushed(): void {
      closeWanted = true;
      if (pending === 0) closeQuietly(socket);
    },
  };
}
