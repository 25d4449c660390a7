import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiteReport } from '../contract/report.ts';
import { isDragonflyError } from '../shared/errors.ts';
import { canonicalJson } from './canonical-json.ts';
import { reportFileText, signReport, verifyReportText } from './signed-report.ts';
import { openReportSigner, REPORT_KEY_FILE } from './signing.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-report-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const sample: SiteReport = {
  generatedAt: '2026-12-05T04:00:00.000Z',
  generatedBy: 'admin',
  controlPlaneVersion: '0.1.0',
  countsByState: { Ready: 1 },
  machines: [{ name: 'amber-falcon', state: 'Ready', serial: 'SN-1', macs: ['52:54:00:00:00:01'], labels: { rack: 'r1' }, checks: [], imageDigests: [], timeline: [] }],
};

describe('canonical JSON (RFC 8785)', () => {
  it('sorts members by UTF-16 code units, drops undefined, writes numbers as ECMAScript does', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, '\u00e9': 1e21, Z: 0.1 })).toBe('{"Z":0.1,"a":[true,null,"x"],"b":1,"é":1e+21}');
    expect(canonicalJson({ '\ud83d\ude00': 1, '\ufb33': 2 })).toBe('{"\ud83d\ude00":1,"\ufb33":2}'); // surrogates (0xd83d) sort before 0xfb33, as the RFC's example
  });
  it('refuses what JSON cannot say', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/NaN/);
  });
});

describe('the report signature', () => {
  it('makes one Ed25519 key in the data directory, 0600, and reuses it', async () => {
    const a = await openReportSigner(dir);
    const b = await openReportSigner(dir);
    expect(a.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect((await stat(join(dir, REPORT_KEY_FILE))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, REPORT_KEY_FILE), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('a signed report verifies and names the key fingerprint', async () => {
    const signer = await openReportSigner(dir);
    const text = reportFileText(signReport(sample, signer));
    const v = verifyReportText(text);
    expect(v.fingerprint).toBe(signer.fingerprint);
    expect(v.report.report.machines[0].serial).toBe('SN-1');
  });

  it('changing any single byte of the file makes verification fail with a clear error', async () => {
    const text = reportFileText(signReport(sample, await openReportSigner(dir)));
    const failures = new Set<string>();
    // Every position, not a lucky one: content, keys, signature, public key, whitespace-free structure.
    for (let i = 0; i < text.length - 1; i++) {
      const bytes = Buffer.from(text, 'utf8');
      bytes[i] = bytes[i] === 0x31 ? 0x32 : 0x31; // '1' or '2': a plausible digit edit
      let error: unknown;
      try {
        verifyReportText(bytes.toString('utf8'));
      } catch (e) {
        error = e;
      }
      expect(isDragonflyError(error, 'DF_ERR_INVALID'), `byte ${i} changed, still verified`).toBe(true);
      failures.add((error as Error).message.split(':')[0]);
    }
    expect([...failures].some((m) => m.startsWith('verification FAILED'))).toBe(true);
  });

  it('a serial changed in the content (re-serialised canonically) fails on the signature, naming the key', async () => {
    const signer = await openReportSigner(dir);
    const doc = signReport(sample, signer);
    doc.report.machines[0].serial = 'SN-2';
    expect(() => verifyReportText(reportFileText(doc))).toThrow(`the signature does not match the content (the report was changed after signing, or signed by another key than ${signer.fingerprint})`);
  });

  it('something that is not a report is named as such', () => {
    expect(() => verifyReportText('{"format":"x"}')).toThrow(/not a signed Dragonfly report/);
    expect(() => verifyReportText('{"format":')).toThrow(/not JSON/);
  });
});
