import { join } from 'node:path';
import { createLab } from '/work/main/core/dhcp/testing/lab.ts';
const variants: string[][] = [
  ['--interface=dfd-br0'],
  ['--interface=dfd-br0', '--no-ping'],
  ['--interface=dfd-br0', '--bind-interfaces', '--no-ping', '--dhcp-authoritative'],
];
for (const [i, v] of variants.entries()) {
  const lab = createLab('dbg' + i);
  try {
    lab.addBridge(0, '10.77.31.1/24');
    const c = lab.addHost('c0', 0, '10.77.31.2/24');
    lab.spawnIn(lab.ns, ['dnsmasq', '--no-daemon', `--log-facility=${join(lab.dir, 'd.log')}`, '--conf-file=/dev/null', '--port=0', ...v, '--dhcp-range=10.77.31.10,10.77.31.250,255.255.255.0,1h', `--dhcp-leasefile=${join(lab.dir, 'l')}`]);
    await new Promise((r) => setTimeout(r, 1000));
    console.log(v.join(' '), (await lab.run(c, 'timeout 20 perfdhcp -4 -l dfd-c0 -r 1000 -R 100 -p 2 2>&1 || true')).split('\n').filter((l) => /Rate|drops ratio/.test(l)).join(' | '));
  } finally { await lab.close(); }
}
