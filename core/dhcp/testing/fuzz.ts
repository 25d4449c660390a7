/**
 * Datagram generator for robustness tests and the fuzz bench: random bytes, and valid DHCP
 * messages with random mutations (bit flips, truncation, bad option lengths, spliced tails).
 * Deterministic (xorshift32 seed) and allocation-light so a million datagrams are cheap.
 */
import { encodeDhcp } from '../codec.ts';
import { clientPacket, pxeDiscover } from '../client-messages.ts';

export function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

function seeds(extra: Uint8Array[]): Uint8Array[] {
  const mac = '52:54:00:aa:bb:cc';
  return [
    encodeDhcp(clientPacket(mac, { messageType: 1, hostName: 'fuzz', parameterRequestList: [1, 3, 6] })),
    encodeDhcp(clientPacket(mac, { messageType: 3, serverId: '127.0.0.1', requestedIp: '127.0.0.100' })),
    encodeDhcp(clientPacket(mac, { messageType: 8 }, { ciaddr: '127.0.0.9' })),
    encodeDhcp(pxeDiscover(mac, 7, { userClass: { format: 'plain', text: 'iPXE' }, ipxe: { subOptions: [{ code: 19, data: Uint8Array.of(1) }], ended: true } })),
    ...extra,
  ];
}

export function createFuzzer(seed: number, extraSeeds: Uint8Array[] = []) {
  const rnd = xorshift(seed);
  const base = seeds(extraSeeds);
  const scratch = new Uint8Array(1500);
  return function next(): Uint8Array {
    const kind = rnd() % 4;
    if (kind === 0) {
      const len = rnd() % 700;
      for (let i = 0; i < len; i++) scratch[i] = rnd() & 0xff;
      return scratch.subarray(0, len);
    }
    const src = base[rnd() % base.length];
    scratch.set(src);
    let len = src.length;
    const flips = 1 + (rnd() % 8);
    for (let i = 0; i < flips; i++) {
      // Mutations concentrate on the options area, where parsers break.
      const at = 236 + (rnd() % Math.max(1, len - 236));
      scratch[at] = kind === 1 ? rnd() & 0xff : scratch[at] ^ (1 << (rnd() % 8));
    }
    if (kind === 3) len = 200 + (rnd() % (len - 199));
    if (kind === 2) scratch[241 + (rnd() % 20)] = rnd() & 0xff; // likely an option length
    // Random MACs so mutated DISCOVERs come from many "clients".
    for (let i = 28; i < 34; i++) if (rnd() % 2) scratch[i] = rnd() & 0xff;
    return scratch.subarray(0, len);
  };
}
