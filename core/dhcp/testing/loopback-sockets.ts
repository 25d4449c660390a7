/**
 * Real UDP sockets on loopback for tests in the root namespace, with a guard: any send to a
 * non-loopback address (a broadcast, a fuzzed giaddr) is refused and never leaves.
 */
import { nodeSocketFactory, type SocketFactory } from '../sockets.ts';

export function isLoopback(address: string): boolean {
  return address.startsWith('127.');
}

export function loopbackSocketFactory(address = '127.0.0.1'): SocketFactory {
  return async (spec) => {
    const sock = await nodeSocketFactory({ ...spec, iface: undefined, address });
    return {
      send: (data, port, to) => (isLoopback(to) ? sock.send(data, port, to) : Promise.reject(new Error(`test guard: refusing to send to ${to}`))),
      close: () => sock.close(),
    };
  };
}
