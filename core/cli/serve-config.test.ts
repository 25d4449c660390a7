import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../app/config.ts';
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

describe('one reading of the environment (issue 13)', () => {
  const env = {
    DRAGONFLY_HTTP_PORT: '9090',
    DRAGONFLY_DHCP_MODE: 'full',
    DRAGONFLY_DHCP_RANGE: '10.9.0.100-10.9.0.200',
    DRAGONFLY_AGENT_IMAGE_DIR: '/opt/agent',
    DRAGONFLY_ETCD_ENDPOINTS: 'http://127.0.0.1:2379,http://127.0.0.1:22379',
  };

  it('the desktop app and dragonfly serve take the same settings from the same variables', async () => {
    const fromServe = await resolveServeConfig({}, env);
    expect(configFromEnv(env)).toEqual(fromServe);
    expect(fromServe).toMatchObject({ httpPort: 9090, dhcpMode: 'full', dhcpRange: { start: '10.9.0.100', end: '10.9.0.200' }, agentImageDir: '/opt/agent' });
  });

  it('a flag wins over its variable, and a bad variable is refused naming the setting', async () => {
    expect((await resolveServeConfig({ httpPort: '7070' }, env)).httpPort).toBe(7070);
    expect(() => configFromEnv({ DRAGONFLY_DHCP_MODE: 'sometimes' })).toThrow(/dhcp mode "sometimes" is not one of full, proxy, off/);
  });
});
