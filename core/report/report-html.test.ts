import { describe, expect, it } from 'vitest';
import type { ReportMachine, SignedReport } from '../contract/report.ts';
import { reportHtml } from './report-html.ts';

const machine = (m: Partial<ReportMachine> & { name: string }): ReportMachine => ({ state: 'Ready', macs: ['52:54:00:aa:00:01'], labels: {}, checks: [], imageDigests: [], timeline: [], ...m });

function page(machines: ReportMachine[]): string {
  const doc = {
    format: 'dragonfly-site-report/v1',
    report: { generatedAt: '2026-12-05T07:00:00Z', controlPlaneVersion: '0.0.0', countsByState: { Ready: machines.length }, machines },
    signature: { algorithm: 'Ed25519', canonicalization: 'RFC8785-JCS', publicKey: 'AA==', keyFingerprint: 'SHA256:x', value: 'AA==' },
  } as unknown as SignedReport;
  return reportHtml(doc);
}

describe('site report page: machine headings', () => {
  it('a memorable name is followed by the object name; a name given in an inventory file appears once', () => {
    const html = page([machine({ name: 'amber-falcon', displayName: 'Amber Falcon' }), machine({ name: 'rack1-u1', displayName: 'rack1-u1' }), machine({ name: 'bare' })]);
    expect(html).toContain('<h2>Amber Falcon <small>(amber-falcon)</small> — ');
    expect(html).toContain('<h2>rack1-u1 — ');
    expect(html).toContain('<h2>bare — ');
    expect(html.match(/rack1-u1/g)).toHaveLength(1);
  });

  it('escapes what machines and operators wrote', () => {
    expect(page([machine({ name: 'x', displayName: '<script>alert(1)</script>' })])).not.toContain('<script>alert');
  });
});
