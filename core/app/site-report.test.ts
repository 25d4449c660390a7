import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../cli/main.ts';
import type { SignedReport } from '../contract/report.ts';
import type { Hardware } from '../model/hardware.ts';
import { discardLogger } from '../shared/logger.ts';
import { sampleFacts, sampleTemplate } from '../testing/api-harness.ts';
import { createControlPlane, type ControlPlane } from './control-plane.ts';

// The real wiring (lowdb in a temp data dir, HTTP on 127.0.0.1), the report asked for as the CLI does.
let cp: ControlPlane;
let dir: string;
let token: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-site-report-'));
  cp = await createControlPlane({ dataDir: join(dir, 'data'), listen: '127.0.0.1', httpPort: 0, tftpPort: 0, dhcpMode: 'off', logger: discardLogger });
  token = cp.adminSession().token;
  // The image is on this control plane already (no download is started: tests stay on loopback).
  const template = sampleTemplate('debian-12');
  template.spec.actions[0] = { ...template.spec.actions[0], image: { url: `${cp.url}/images/debian-12.raw.gz`, checksum: `sha256:${'ab'.repeat(32)}` } } as never;
  await cp.store.create(template as never);
  const facts = { ...sampleFacts(['52:54:00:aa:00:01']), dmi: { vendor: 'QEMU', product: 'Standard PC', serial: 'SN-REPORT-1' } };
  const bootHistory = [
    { at: '2026-12-05T04:00:00.000Z', step: 'dhcp', detail: 'offer 10.0.0.5' },
    { at: '2026-12-05T04:00:02.500Z', step: 'tftp', detail: 'ipxe.efi' },
    { at: '2026-12-05T04:00:10.000Z', step: 'agent', detail: 'registered' },
  ];
  await cp.store.create<Hardware>({
    apiVersion: 'dragonfly.computer/v1',
    kind: 'Hardware',
    metadata: { name: 'amber-falcon', labels: { rack: 'r1' } },
    spec: { macs: ['52:54:00:aa:00:01'], displayName: 'Amber Falcon', facts, bmc: { protocol: 'ipmi', address: '127.0.0.1:9001' } },
    status: { state: 'Registered', bootHistory },
  });
});
afterAll(async () => {
  await cp?.close();
  await rm(dir, { recursive: true, force: true });
});

function io(): CliIo & { text: () => string; errors: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return { out: (s) => out.push(s), err: (s) => err.push(s), stdin: async () => '', env: {}, text: () => out.join('\n'), errors: () => err.join('\n') };
}

describe('the signed site report through the control plane (issue 17)', () => {
  it('lists each machine with serial, MACs, BMC, checks, template digest, timeline durations and who assigned it', async () => {
    const assign = await cp.api.app.inject({ method: 'POST', url: '/api/v1/assign', headers: { authorization: `Bearer ${token}` }, payload: { template: 'debian-12', machines: ['amber-falcon'] } });
    const wf = assign.json().results[0].workflow as string;
    for (let i = 0; i < 3; i++) await cp.workflows.applyAgentEvent(wf, { action: i, phase: 'Succeeded' });

    const res = await cp.api.app.inject({ url: '/api/v1/report', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(200);
    const doc = JSON.parse(res.body) as SignedReport;
    const m = doc.report.machines.find((x) => x.name === 'amber-falcon')!;
    expect(m).toMatchObject({ state: 'Ready', serial: 'SN-REPORT-1', macs: ['52:54:00:aa:00:01'], bmc: { protocol: 'ipmi', address: '127.0.0.1:9001' }, template: 'debian-12', labels: { rack: 'r1' } });
    expect(m.imageDigests).toEqual([`${cp.url}/images/debian-12.raw.gz sha256:${'ab'.repeat(32)}`]);
    expect(m.checks.map((c) => [c.name, c.result])).toEqual([['write-image (image2disk)', 'Succeeded'], ['seed (writefile)', 'Succeeded'], ['reboot (reboot)', 'Succeeded']]);
    expect(m.workflow).toMatchObject({ name: wf, phase: 'Succeeded', assignedBy: 'admin' });
    expect(m.timeline.slice(0, 3).map((s) => s.durationSeconds)).toEqual([2.5, 7.5, expect.any(Number)]);
    expect(doc.report.countsByState.Ready).toBe(1);
  });

  it('dragonfly report --out writes JSON and HTML; verify passes, prints the fingerprint; one changed byte fails with exit 1', async () => {
    const out = join(dir, 'out');
    const run = io();
    expect(await main(['node', 'dragonfly', '--url', cp.url, '--token', token, 'report', '--out', out], run)).toBe(0);
    const fingerprint = /signed by key (SHA256:\S+)/.exec(run.text())?.[1];
    expect(fingerprint).toMatch(/^SHA256:/);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Amber Falcon');
    expect(html).toContain(fingerprint);
    expect(html).toContain('@media print');

    const ok = io();
    expect(await main(['node', 'dragonfly', 'report', 'verify', join(out, 'report.json')], ok)).toBe(0);
    expect(ok.text()).toContain(`signature OK: Ed25519 key ${fingerprint}`);

    const text = await readFile(join(out, 'report.json'), 'utf8');
    await writeFile(join(out, 'tampered.json'), text.replace('SN-REPORT-1', 'SN-REPORT-2'));
    const bad = io();
    expect(await main(['node', 'dragonfly', 'report', 'verify', join(out, 'tampered.json')], bad)).toBe(1);
    expect(bad.errors()).toMatch(/verification FAILED: the signature does not match the content/);
  });

  it('the key lives in the data directory: the next report is signed by the same key', async () => {
    const a = JSON.parse((await cp.api.app.inject({ url: '/api/v1/report', headers: { authorization: `Bearer ${token}` } })).body) as SignedReport;
    const html = (await cp.api.app.inject({ url: '/api/v1/report/html', headers: { authorization: `Bearer ${token}` } })).body;
    expect(html).toContain(a.signature.keyFingerprint);
    expect((await cp.api.app.inject({ url: '/api/v1/report' })).statusCode).toBe(401);
  });

  it('dragonfly machines import: a bad file is refused line by line (exit 1, nothing created); a good one declares machines that the report lists', async () => {
    const file = join(dir, 'inventory.csv');
    await writeFile(file, 'mac,bmc_address,bmc_username,bmc_password,rack,position\n52:54:00:aa:10:01,127.0.0.1:6240,admin,pw,r2,u1\n52:54:00:aa:10:02,,admin,,r2,u2\n');
    const bad = io();
    expect(await main(['node', 'dragonfly', '--url', cp.url, '--token', token, 'machines', 'import', file], bad)).toBe(1);
    expect(bad.errors()).toContain('line 3: bmc_address is empty');
    expect(bad.errors()).toContain('line 3: no BMC credential');
    expect((await cp.store.list<Hardware>('Hardware')).items.map((h) => h.metadata.name)).toEqual(['amber-falcon']);

    await writeFile(file, 'mac,bmc_address,bmc_username,bmc_password,rack,position\n52:54:00:aa:10:01,127.0.0.1:6240,admin,pw,r2,u1\n');
    const ok = io();
    expect(await main(['node', 'dragonfly', '--url', cp.url, '--token', token, 'machines', 'import', file], ok)).toBe(0);
    const name = /line 2: (\S+) \(52:54:00:aa:10:01\) declared/.exec(ok.text())?.[1];
    expect(name).toBeTruthy();
    expect(await readFile(join(dir, 'data', 'credentials.json'), 'utf8')).not.toContain('"pw"');
    const doc = JSON.parse((await cp.api.app.inject({ url: '/api/v1/report', headers: { authorization: `Bearer ${token}` } })).body) as SignedReport;
    expect(doc.report.machines.find((m) => m.name === name)).toMatchObject({ state: 'Discovered', bmc: { protocol: 'ipmi', address: '127.0.0.1:6240' }, labels: { rack: 'r2', position: 'u1' } });
  });
});
