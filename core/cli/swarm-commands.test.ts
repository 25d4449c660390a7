import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../app/control-plane.ts';
import type { SwarmIdentity } from '../app/swarm-identity.ts';
import { whoami } from '../testing/swarm-calls.ts';
import { untilTrue } from '../testing/swarm-images.ts';
import { TestSwarm } from '../testing/test-swarm.ts';
import { main } from './main.ts';

// `dragonfly swarm join-token` and `rotate-key` on a member's host of a swarm on Kubernetes (the
// test server built from the published API shapes, on loopback): the backend is named with the
// options and environment variables `serve` takes, parsed by the same code.
const swarm = new TestSwarm('df-swarm-cli-', 'kubernetes');
let a: ControlPlane;
let b: ControlPlane;
let c: ControlPlane;
beforeAll(async () => {
  ({ a, b, c } = await swarm.start());
}, 120_000);
afterAll(() => swarm.stop());

function cli(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const io = { out: (l: string) => void out.push(l), err: (l: string) => void out.push(l), stdin: async () => '', env };
  return { out, run: (...args: string[]) => main(['node', 'dragonfly', 'swarm', ...args], io) };
}

describe('dragonfly swarm on the Kubernetes backend', () => {
  it('join-token with --backend kubernetes --kubeconfig makes a token that admits one more instance', async () => {
    const { out, run } = cli();
    expect(await run('join-token', '--data-dir', swarm.dirs[1], '--backend', 'kubernetes', '--kubeconfig', swarm.backendConfig.kubeconfig!), out.join('\n')).toBe(0);
    expect(out[1]).toMatch(/^valid until \S+Z: dragonfly serve --backend kubernetes --join dfj1\./);
    const d = await swarm.instance(out[0]);
    expect([d.initialPassword, await whoami(d, a.adminSession().token)]).toEqual([undefined, 200]);
    await d.close();
  });

  it('rotate-key finds the swarm from the environment serve reads (DRAGONFLY_BACKEND, DRAGONFLY_KUBECONFIG); members follow', async () => {
    const oldId = (a.swarm as SwarmIdentity).keyring.keyId;
    const { out, run } = cli({ DRAGONFLY_BACKEND: 'kubernetes', DRAGONFLY_KUBECONFIG: swarm.backendConfig.kubeconfig, DRAGONFLY_DATA_DIR: swarm.dirs[2] });
    expect(await run('rotate-key', '--chain-seconds', '2'), out.join('\n')).toBe(0);
    expect(out.join('\n')).toMatch(new RegExp(`swarm data key rotated: ${oldId} -> [0-9a-f]{16}`));
    const newId = /-> ([0-9a-f]{16})/.exec(out.join('\n'))![1];
    await untilTrue(() => [a, b, c].every((cp) => (cp.swarm as SwarmIdentity).keyring.keyId === newId));
  });

  it('a backend that holds no swarm is refused, naming it', async () => {
    const { out, run } = cli();
    expect(await run('join-token', '--data-dir', swarm.dirs[1], '--backend', 'lowdb')).toBe(1);
    expect(out.join('\n')).toMatch(/backend "lowdb" holds no swarm: dragonfly swarm works on backend etcd or kubernetes/);
  });
});
