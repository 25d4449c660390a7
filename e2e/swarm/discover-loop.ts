/**
 * A DHCP client that keeps asking: broadcasts a DISCOVER every `intervalMs` on IFACE (from
 * 0.0.0.0:68) with a fresh MAC each round, and prints every OFFER as a JSON line with the
 * time it arrived, so the scenario can time "leader died" -> "next OFFER" to within one
 * interval (dhclient and udhcpc retry only once a second or slower).
 *
 *   node --import tsx e2e/swarm/discover-loop.ts IFACE [intervalMs=50]
 */
import { createSocket } from 'node:dgram';
import { bindToInterface } from '../../core/dhcp/bind-to-interface.ts';
import { clientPacket } from '../../core/dhcp/client-messages.ts';
import { decodeDhcp, DecodeError, encodeDhcp } from '../../core/dhcp/codec.ts';

const [iface, intervalText] = process.argv.slice(2);
const interval = Number(intervalText ?? 50);
const sock = createSocket({ type: 'udp4', reuseAddr: true });
sock.on('message', (m) => {
  const p = decodeDhcp(m);
  if (p instanceof DecodeError || p.options.messageType !== 2) return;
  process.stdout.write(JSON.stringify({ t: Date.now(), offer: p.yiaddr, serverId: p.options.serverId }) + '\n');
});
await new Promise<void>((r) => sock.bind(68, '0.0.0.0', () => r()));
sock.setBroadcast(true);
bindToInterface(sock, iface!);
let n = 0;
// Four MACs in turn: every DISCOVER holds an OFFER for a while, and fresh MACs would drain the pool.
const mac = () => `02:df:5e:${((n >> 16) & 0xff).toString(16).padStart(2, '0')}:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;
setInterval(() => {
  n = (n + 1) % 4;
  sock.send(encodeDhcp(clientPacket(mac(), { messageType: 1, parameterRequestList: [1, 3, 6, 54] })), 67, '255.255.255.255');
}, interval);
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
