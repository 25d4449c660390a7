import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveServeConfig } from './serve.ts';

describe('enrolment settings of dragonfly serve (issue 14)', () => {
  it('flags and config file keys set the DHCP-evidence rule and the discovery caps', async () => {
    expect((await resolveServeConfig({ requireDhcpEvidence: 'off', discoveriesPerMinute: '10' }, {})).enrolment).toEqual({ requireDhcpEvidence: false, discoveriesPerMinute: 10 });
    const dir = await mkdtemp(join(tmpdir(), 'df-serve-'));
    try {
      await writeFile(join(dir, 'c.yaml'), 'discoveriesTotal: 0\nrequireDhcpEvidence: on\n');
      expect((await resolveServeConfig({ config: join(dir, 'c.yaml') }, {})).enrolment).toEqual({ discoveriesTotal: 0, requireDhcpEvidence: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect((await resolveServeConfig({}, {})).enrolment).toBeUndefined();
  });

  it('a bad value is refused naming the flag', async () => {
    await expect(resolveServeConfig({ requireDhcpEvidence: 'maybe' }, {})).rejects.toThrow(/--require-dhcp-evidence "maybe" must be on or off/);
    await expect(resolveServeConfig({ discoveriesTotal: '-1' }, {})).rejects.toThrow(/--discoveries-total "-1" must be a whole number/);
  });
});
