/** An in-memory SocketFactory: tests inject datagrams and read what the server sent. */
import type { DatagramSocket, Remote, SocketFactory, SocketSpec } from '../sockets.ts';

export interface Sent {
  fromPort: number;
  to: Remote;
  data: Uint8Array;
}

export function createMemoryNetwork() {
  const bound = new Map<number, SocketSpec>();
  const sent: Sent[] = [];
  const waiters: Array<() => void> = [];
  const factory: SocketFactory = async (spec) => {
    if (bound.has(spec.port)) throw Object.assign(new Error('in use'), { code: 'EADDRINUSE' });
    bound.set(spec.port, spec);
    const sock: DatagramSocket = {
      send: async (data, port, address) => {
        sent.push({ fromPort: spec.port, to: { address, port }, data: data.slice() });
        waiters.splice(0).forEach((w) => w());
      },
      close: async () => {
        bound.delete(spec.port);
      },
    };
    return sock;
  };
  return {
    factory,
    sent,
    boundPorts: () => [...bound.keys()].sort((a, b) => a - b),
    deliver(port: number, data: Uint8Array, from: Remote = { address: '0.0.0.0', port: 68 }) {
      const s = bound.get(port);
      if (!s) throw new Error(`nothing bound on ${port}`);
      s.onMessage(data, from);
    },
    /** Resolves once `n` datagrams in total have been sent (or rejects after ms). */
    async waitForSent(n: number, ms = 2000): Promise<Sent[]> {
      const deadline = Date.now() + ms;
      while (sent.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${sent.length} of ${n} datagrams were sent`);
        await new Promise<void>((res) => {
          waiters.push(res);
          setTimeout(res, 20);
        });
      }
      return sent;
    },
  };
}
