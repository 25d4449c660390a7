import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HardwareFacts } from '../model/hardware.ts';
import type { Notification } from '../workflow/workflow-service.ts';
import { createHarness, sampleFacts, type Harness } from '../testing/api-harness.ts';

let h: Harness;
const notes: Notification[] = [];
beforeAll(async () => {
  h = await createHarness();
  h.workflows.on('notification', (n) => notes.push(n));
});
afterAll(async () => h.close());

function factsOf(macs: string[], uuid: string, serial: string, disks: string[] = ['DISK-1']): HardwareFacts {
  const f = sampleFacts(macs, { dmi: { vendor: 'QEMU', uuid, serial } });
  f.disks = disks.map((s, i) => ({ name: `vd${'abc'[i]}`, path: `/dev/vd${'abc'[i]}`, sizeBytes: 2 ** 33, serial: s }));
  return f;
}

async function register(mac: string, facts: HardwareFacts) {
  const token = h.auth.issueEnrolmentToken(mac);
  return h.app.inject({ method: 'POST', url: '/api/agent/v1/register', headers: { authorization: `Bearer ${token}` }, payload: { mac, facts } });
}

const machine = async (name: string) => (await h.app.inject({ url: `/api/v1/hardware/${name}`, headers: h.headers })).json();
const decide = (name: string, decision: string) =>
  h.app.inject({ method: 'POST', url: `/api/v1/hardware/${name}/identity`, headers: h.headers, payload: { decision } });

describe('machine identity pinned at first registration', () => {
  it('a second machine with the same MAC and another serial is refused (409), shown on the machine and notified once; its facts never land', async () => {
    const mac = '52:54:00:1d:00:01';
    const first = await register(mac, factsOf([mac], '1d000000-0000-0000-0000-000000000001', 'REAL-SERIAL'));
    expect(first.statusCode).toBe(200);
    const name = first.json().hardware;
    const impostor = factsOf([mac], '1d000000-0000-0000-0000-000000000001', 'FAKE-SERIAL', ['ATTACKER-DISK']);
    impostor.cpu.model = 'Impostor CPU';
    const refused = await register(mac, impostor);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().message).toMatch(/identity conflict.*serial FAKE-SERIAL differs from the pinned REAL-SERIAL/);
    expect((await register(mac, impostor)).statusCode).toBe(409); // the agent's retry
    const hw = await machine(name);
    expect(hw.spec.facts.cpu.model).not.toBe('Impostor CPU');
    expect(hw.status.conditions.find((c: { type: string }) => c.type === 'IdentityConflict')).toMatchObject({ status: 'True', reason: 'IdentityChanged' });
    expect(hw.status.bootHistory.filter((e: { step: string }) => e.step === 'identity')).toHaveLength(1);
    expect(notes.filter((n) => n.machine === name)).toEqual([expect.objectContaining({ level: 'error', title: expect.stringMatching(/identity conflict/) })]);
  });

  it('refuse keeps the pinned identity and stops the same impostor from raising it again; accept lets the new identity register', async () => {
    const mac = '52:54:00:1d:00:02';
    const name = (await register(mac, factsOf([mac], '1d000000-0000-0000-0000-000000000002', 'BOARD-A'))).json().hardware;
    const boardB = factsOf([mac], '1d000000-0000-0000-0000-0000000000b2', 'BOARD-B');
    expect((await register(mac, boardB)).statusCode).toBe(409);
    expect((await decide(name, 'refuse')).statusCode).toBe(200);
    expect((await register(mac, boardB)).statusCode).toBe(409);
    const refusedHw = await machine(name);
    expect(refusedHw.status.conditions ?? []).not.toContainEqual(expect.objectContaining({ type: 'IdentityConflict' }));
    expect(refusedHw.status.identity.pinned.serial).toBe('BOARD-A');
    expect((await decide(name, 'accept')).json().message).toMatch(/no identity conflict/);

    const boardC = factsOf([mac], '1d000000-0000-0000-0000-0000000000c2', 'BOARD-C');
    expect((await register(mac, boardC)).statusCode).toBe(409);
    const accepted = await decide(name, 'accept');
    expect(accepted.json().status.identity.pinned.serial).toBe('BOARD-C');
    const again = await register(mac, boardC);
    expect(again.statusCode).toBe(200);
    expect(again.json().hardware).toBe(name);
    expect((await machine(name)).spec.facts.dmi.serial).toBe('BOARD-C');
  });

  it('a replaced disk is a timeline warning, not a refusal: UUID and serial are the machine', async () => {
    const mac = '52:54:00:1d:00:03';
    const ident = ['1d000000-0000-0000-0000-000000000003', 'SRV-3'] as const;
    const name = (await register(mac, factsOf([mac], ...ident, ['OLD-DISK', 'KEPT-DISK']))).json().hardware;
    const res = await register(mac, factsOf([mac], ...ident, ['NEW-DISK', 'KEPT-DISK']));
    expect(res.statusCode).toBe(200);
    const hw = await machine(name);
    expect(hw.status.bootHistory).toContainEqual(expect.objectContaining({ step: 'identity', detail: 'disks changed (added NEW-DISK; removed OLD-DISK)' }));
    expect(hw.status.identity.pinned.diskSerials).toEqual(['KEPT-DISK', 'NEW-DISK']);
  });

  it('an unknown decision is a 400 naming the field', async () => {
    const res = await decide('no-such-machine', 'maybe');
    expect(res.statusCode).toBe(400);
  });
});

describe('a MAC belongs to at most one machine', () => {
  const victim = '52:54:00:ee:00:01';
  const attacker = '52:54:00:ee:00:02';

  it('registering machine C with facts that list victim MAC B is refused naming the holder; the victim keeps its MAC', async () => {
    const victimName = (await register(victim, factsOf([victim], 'ee000000-0000-0000-0000-000000000001', 'VICTIM'))).json().hardware;
    // The attacker booted first, so the boot path made its placeholder object.
    await h.app.inject({ url: `/boot/ipxe?mac=${attacker}` });
    const res = await register(attacker, factsOf([attacker, victim], 'ee000000-0000-0000-0000-000000000002', 'ATTACKER'));
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toContain(`MAC ${victim} belongs to machine ${victimName}`);
    expect(h.index.nameByMac(victim)).toBe(victimName);
    expect((await machine(victimName)).spec.macs).toEqual([victim]);
  });

  it('the same machine booting from its second NIC joins its own object (identity matches), and the placeholder goes', async () => {
    const nic1 = '52:54:00:ee:00:11';
    const nic2 = '52:54:00:ee:00:12';
    // The second NIC was not cabled (not listed) at first registration.
    const name = (await register(nic1, factsOf([nic1], 'ee000000-0000-0000-0000-000000000011', 'TWO-NICS'))).json().hardware;
    await h.app.inject({ url: `/boot/ipxe?mac=${nic2}` });
    const placeholder = h.index.nameByMac(nic2)!;
    expect(placeholder).not.toBe(name);
    const res = await register(nic2, factsOf([nic1, nic2], 'ee000000-0000-0000-0000-000000000011', 'TWO-NICS'));
    expect(res.statusCode).toBe(200);
    expect(res.json().hardware).toBe(name);
    expect((await machine(name)).spec.macs).toEqual([nic1, nic2]);
    expect((await h.app.inject({ url: `/api/v1/hardware/${placeholder}`, headers: h.headers })).statusCode).toBe(404);
  });

  it('an API write that would put one MAC on two machines is refused naming the holder (POST, PUT and apply)', async () => {
    const holder = h.index.nameByMac(victim)!;
    const hw = (macs: string[], name = 'thief') => ({ apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name }, spec: { macs } });
    const post = await h.app.inject({ method: 'POST', url: '/api/v1/hardware', headers: h.headers, payload: hw(['52:54:00:ee:00:99', victim]) });
    expect(post.statusCode).toBe(409);
    expect(post.json().message).toContain(`MAC ${victim} belongs to machine ${holder}`);
    const apply = await h.app.inject({ method: 'POST', url: '/api/v1/apply', headers: h.headers, payload: { items: [hw(['52:54:00:ee:00:98'], 'a'), hw(['52:54:00:ee:00:98'], 'b')] } });
    expect(apply.statusCode).toBe(409);
    expect(apply.json().message).toMatch(/MAC 52:54:00:ee:00:98 belongs to machine a/);
    expect((await h.app.inject({ url: '/api/v1/hardware/a', headers: h.headers })).statusCode).toBe(404);
    const own = (await h.app.inject({ method: 'POST', url: '/api/v1/hardware', headers: h.headers, payload: hw(['52:54:00:ee:00:97'], 'own') })).json();
    const put = await h.app.inject({ method: 'PUT', url: '/api/v1/hardware/own', headers: h.headers, payload: { ...own, spec: { macs: ['52:54:00:ee:00:97', victim] } } });
    expect(put.statusCode).toBe(409);
    expect(put.json().message).toContain(`belongs to machine ${holder}`);
  });
});
