import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discardLogger } from '../shared/logger.ts';
import { createControlPlane, type ControlPlane } from './control-plane.ts';

// The real wiring on loopback only: HTTP on 127.0.0.1, DHCP off, TFTP off.
let cp: ControlPlane;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-cp-'));
  cp = await createControlPlane({ dataDir: dir, listen: '127.0.0.1', httpPort: 0, tftpPort: 0, dhcpMode: 'off', logger: discardLogger });
});
afterAll(async () => {
  await cp?.close();
  await rm(dir, { recursive: true, force: true });
});

const script = async () => (await cp.api.app.inject({ url: '/boot/ipxe?mac=52:54:00:c9:00:01&platform=efi' })).body;
const kernelHost = (s: string) => /^kernel http:\/\/([^/]+)\/boot\/agent\/vmlinuz .* dragonfly\.url=http:\/\/([^ ]+) /m.exec(s)?.slice(1, 3);

describe('the advertised address follows PUT /api/v1/settings/network', () => {
  it('every boot URL in the script (kernel, initrd, agent URL, retry) moves to the new address', async () => {
    const port = new URL(cp.url).port;
    expect(kernelHost(await script())).toEqual([`127.0.0.1:${port}`, `127.0.0.1:${port}`]);

    const { token } = cp.adminSession();
    const body = { interface: 'lo', advertiseAddress: '127.0.0.9', dhcpMode: 'off', dns: [], leaseSeconds: 3600, tftpPort: 0, httpPort: Number(port) };
    const put = await cp.api.app.inject({ method: 'PUT', url: '/api/v1/settings/network', headers: { authorization: `Bearer ${token}` }, payload: body });
    expect(put.statusCode).toBe(200);

    const after = await script();
    expect(kernelHost(after)).toEqual([`127.0.0.9:${port}`, `127.0.0.9:${port}`]);
    expect(after).toContain(`initrd --name initramfs.img http://127.0.0.9:${port}/boot/agent/initramfs.img`);
    expect(after).toContain(`chain --autofree http://127.0.0.9:${port}/boot/ipxe?mac=\${netX/mac}&arch=\${buildarch}&platform=\${platform} || reboot`);
    expect(after).not.toContain('127.0.0.1');
  });

  it('a bad advertise address is a 400 naming the field, and nothing changes', async () => {
    const { token } = cp.adminSession();
    const port = Number(new URL(cp.url).port);
    const body = { interface: 'lo', advertiseAddress: '10.0.0.256', dhcpMode: 'off', dns: [], leaseSeconds: 3600, tftpPort: 0, httpPort: port };
    const put = await cp.api.app.inject({ method: 'PUT', url: '/api/v1/settings/network', headers: { authorization: `Bearer ${token}` }, payload: body });
    expect(put.statusCode).toBe(400);
    expect(put.json().message).toMatch(/advertiseAddress/);
    expect(kernelHost(await script())?.[0]).toBe(`127.0.0.9:${port}`);
  });
});

describe('enrolment in /api/v1/status (issue 14)', () => {
  it('with DHCP off the gate is open, and status says so and shows the discovery caps', async () => {
    const { token } = cp.adminSession();
    const res = await cp.api.app.inject({ url: '/api/v1/status', headers: { authorization: `Bearer ${token}` } });
    const enrolment = res.json().enrolment;
    expect(enrolment.requireDhcpEvidence).toBe(false);
    expect(enrolment.warning).toMatch(/DHCP is off/);
    expect(enrolment.discovery).toMatchObject({ perMinute: 60, total: 1000 });
    expect(enrolment.discovery.created).toBeGreaterThanOrEqual(1); // the scripts above discovered 52:54:00:c9:00:01
  });
});
