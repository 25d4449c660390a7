import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main.ts';
import { untilTrue } from '../testing/swarm-images.ts';
import { TestSwarm } from '../testing/test-swarm.ts';
import type { ControlPlane } from './control-plane.ts';
import type { SwarmIdentity } from './swarm-identity.ts';

// `dragonfly export` from a swarm member carries the swarm's secrets sealed for the receiving
// site's key, and `import` into another swarm's member puts them back, sealed under that swarm's
// data key. Two swarms of control planes on their own Kubernetes test servers (loopback).
const from = new TestSwarm('df-export-src-', 'kubernetes');
const to = new TestSwarm('df-export-dst-', 'kubernetes');
let dir: string;
const swarmOf = (cp: ControlPlane) => cp.swarm as SwarmIdentity;

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const io = { out: (l: string) => void lines.push(l), err: (l: string) => void lines.push(l), stdin: async () => '', env: {} };
  const code = await main(['node', 'dragonfly', ...args], io);
  return { code, out: lines.join('\n') };
}

describe('export / import of a swarm keeps its secrets, sealed all the way', () => {
  let a: ControlPlane;
  let target: { a: ControlPlane; b: ControlPlane };
  beforeAll(async () => {
    ({ a } = await from.start());
    target = await to.start();
    dir = await mkdtemp(join(tmpdir(), 'df-export-'));
  }, 120_000);
  afterAll(async () => {
    await from.stop();
    await to.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('round trip: the credential and the template secret stored through A are readable in the other swarm after import; the file holds neither in clear', async () => {
    await swarmOf(a).credentials.set('rack9-bmc', { username: 'root', secret: 'export-bmc-Kd72' });
    await swarmOf(a).templateSecrets.set('template/debian/root_password', { secret: 'export-tpl-Wq18' });
    await a.store.create({ apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name: 'rack9-node1' }, spec: { macs: ['52:54:00:5e:00:01'], bmc: { protocol: 'ipmi', address: '127.0.0.1:6230', credentialRef: 'rack9-bmc' } } });
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    await writeFile(join(dir, 'site.pub.pem'), keys.publicKey);
    await writeFile(join(dir, 'site.key.pem'), keys.privateKey);
    const file = join(dir, 'site.json');

    // exported through B's data directory: any member's copy of the data key opens the swarm's secrets
    const src = ['--data-dir', from.dirs[1], '--backend', 'kubernetes', '--kubeconfig', from.backendConfig.kubeconfig!];
    const exported = await cli('export', ...src, '--recipient-key', join(dir, 'site.pub.pem'), '-o', file);
    expect(exported.out).toMatch(/^exported 1 objects to .*site\.json; 2 secrets from the swarm in Kubernetes .* sealed for the recipient key$/);
    expect(exported.code).toBe(0);
    const text = await readFile(file, 'utf8');
    for (const clear of ['export-bmc-Kd72', 'export-tpl-Wq18']) {
      expect(text).not.toContain(clear);
      expect(text).not.toContain(Buffer.from(clear).toString('base64'));
    }

    const dst = ['--data-dir', to.dirs[1], '--backend', 'kubernetes', '--kubeconfig', to.backendConfig.kubeconfig!];
    const imported = await cli('import', file, ...dst, '--private-key', join(dir, 'site.key.pem'));
    expect(imported.out).toMatch(/^imported 1 objects into kubernetes and 2 secrets into the swarm in Kubernetes /);
    expect(imported.code).toBe(0);
    await untilTrue(() => swarmOf(target.a).credentials.get('rack9-bmc')?.secret === 'export-bmc-Kd72');
    await untilTrue(() => swarmOf(target.a).templateSecrets.get('template/debian/root_password')?.secret === 'export-tpl-Wq18');
    expect((await target.b.store.get('Hardware', 'rack9-node1')).spec).toMatchObject({ bmc: { credentialRef: 'rack9-bmc' } });
  });

  it('without a recipient key the secrets are left out, and export says so and how to carry them', async () => {
    const r = await cli('export', '--data-dir', from.dirs[0], '--backend', 'kubernetes', '--kubeconfig', from.backendConfig.kubeconfig!, '-o', join(dir, 'plain.json'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/2 secrets from the swarm in Kubernetes .* left out: give --recipient-key \(the receiving site's public key\) to carry them sealed$/);
    const bundle = JSON.parse(await readFile(join(dir, 'plain.json'), 'utf8')) as { secrets?: unknown; templateSecrets?: unknown };
    expect([bundle.secrets, bundle.templateSecrets]).toEqual([undefined, undefined]);
  });
});
