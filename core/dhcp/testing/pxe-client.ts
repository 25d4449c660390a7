/**
 * A scripted PXE client for namespace tests: `node --import tsx pxe-client.ts IFACE MAC ARCH [PROXY_IP]`.
 * Broadcasts a PXE DISCOVER built with our codec, prints every OFFER as a JSON line for
 * 1.5 s, then (with PROXY_IP) sends the PXE boot server REQUEST to PROXY_IP:4011 from its
 * own address and prints the ACK.
 */
import { createSocket } from 'node:dgram';
import { bindToInterface } from '../bind-to-interface.ts';
import { decodeDhcp, DecodeError, encodeDhcp } from '../codec.ts';
import { pxeDiscover } from '../client-messages.ts';

const [iface, mac, archText, proxyIp] = process.argv.slice(2);
const arch = Number(archText);
const sock = createSocket({ type: 'udp4', reuseAddr: true });
const print = (kind: string, data: Buffer, from: string) => {
  const p = decodeDhcp(data);
  if (p instanceof DecodeError) return;
  const vs = p.options.vendorSpecific;
  process.stdout.write(JSON.stringify({ kind, from, type: p.options.messageType, yiaddr: p.yiaddr, siaddr: p.siaddr, file: p.file, serverId: p.options.serverId, vendorClass: p.options.vendorClass, pxe: vs?.format === 'pxe' ? vs.items.map((i) => i.kind) : undefined, xid: p.xid }) + '\n');
};
sock.on('message', (m, r) => print('reply68', m, r.address));
await new Promise<void>((r) => sock.bind(68, '0.0.0.0', () => r()));
sock.setBroadcast(true);
bindToInterface(sock, iface);
sock.send(encodeDhcp(pxeDiscover(mac, arch)), 67, '255.255.255.255');
await new Promise((r) => setTimeout(r, 1500));
if (proxyIp) {
  const req = pxeDiscover(mac, arch, { messageType: 3, vendorSpecific: { format: 'pxe', ended: true, items: [{ kind: 'boot-item', type: 0x8000, layer: 0 }] } }, { flags: 0 });
  const s4011 = createSocket({ type: 'udp4' });
  s4011.on('message', (m, r) => print('reply4011', m, r.address));
  await new Promise<void>((r) => s4011.bind(0, '0.0.0.0', () => r()));
  s4011.send(encodeDhcp(req), 4011, proxyIp);
  await new Promise((r) => setTimeout(r, 1000));
  s4011.close();
}
sock.close();
process.stdout.write('{"done":true}\n');
