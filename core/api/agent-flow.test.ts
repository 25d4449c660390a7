import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthService } from '../auth/auth-service.ts';
import { createHarness, sampleFacts, sampleTemplate, type Harness } from '../testing/api-harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => h.close());

const MAC = '52:54:00:aa:00:01';

async function register(mac: string, token: string, facts = sampleFacts([mac])) {
  return h.app.inject({ method: 'POST', url: '/api/agent/v1/register', headers: { authorization: `Bearer ${token}` }, payload: { mac, facts } });
}

describe('boot fate and the agent', () => {
  it('an unknown MAC gets the discovery script with an enrolment token bound to it', async () => {
    const res = await h.app.inject({ url: `/boot/ipxe?mac=${MAC}&platform=efi` });
    expect(res.statusCode).toBe(200);
    const script = res.body;
    expect(script.startsWith('#!ipxe\n')).toBe(true);
    expect(script).toMatch(/^# Dragonfly boot script for .*\(52:54:00:aa:00:01\): discovery$/m);
    expect(script).not.toMatch(/dragonfly\.(mode|workflow)=/);
    expect(script).toContain('initrd=initramfs.img');
    const token = /dragonfly\.token=(\S+)/.exec(script)![1];
    expect(h.auth.verifyMachineToken(token)).toBe(MAC);
  });

  it('registration with the enrolment token creates one object with a memorable name; a second boot finds the same object', async () => {
    const script = (await h.app.inject({ url: `/boot/ipxe?mac=${MAC}` })).body;
    const token = /dragonfly\.token=(\S+)/.exec(script)![1];
    const first = await register(MAC, token);
    expect(first.statusCode).toBe(200);
    const body = first.json();
    expect(body.displayName).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+ [A-Z][a-z]+$/);
    expect(body.next).toEqual({ action: 'wait' });
    expect(body.agentToken).toMatch(/^dfa2\./);
    const second = await register(MAC, body.agentToken);
    expect(second.json().hardware).toBe(body.hardware);
    const all = (await h.app.inject({ url: '/api/v1/hardware', headers: h.headers })).json().items;
    expect(all.filter((x: { spec: { macs: string[] } }) => x.spec.macs.includes(MAC))).toHaveLength(1);
    const hw = all.find((x: { metadata: { name: string } }) => x.metadata.name === body.hardware);
    expect(hw.status.state).toBe('Registered');
    expect(hw.spec.facts.cpu.threads).toBe(2);
    expect(hw.status.bootHistory.map((e: { step: string }) => e.step)).toContain('script');
  });

  it('a token issued for another MAC, an expired token, or none at all is refused', async () => {
    const other = h.auth.issueEnrolmentToken('52:54:00:bb:00:01');
    const foreign = await register(MAC, other);
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().message).toMatch(/issued for 52:54:00:bb:00:01/);
    let now = Date.now();
    const { auth } = await AuthService.open(h.dataDir, { now: () => now });
    const old = auth.issueEnrolmentToken(MAC);
    now += 3600_000;
    expect(() => auth.verifyMachineToken(old)).toThrow(/expired/);
    const none = await h.app.inject({ method: 'POST', url: '/api/agent/v1/register', payload: { mac: MAC, facts: sampleFacts([MAC]) } });
    expect(none.statusCode).toBe(401);
    const forged = h.auth.issueEnrolmentToken(MAC).replace(/\.[^.]+$/, '.AAAA');
    expect((await register(MAC, forged)).statusCode).toBe(401);
  });

  it('a malformed or oversized report is 400/413 and stores nothing', async () => {
    const mac = '52:54:00:cc:00:01';
    const token = h.auth.issueEnrolmentToken(mac);
    const bad = await h.app.inject({ method: 'POST', url: '/api/agent/v1/register', headers: { authorization: `Bearer ${token}` }, payload: { mac, facts: { cpu: 'fast' } } });
    expect(bad.statusCode).toBe(400);
    const facts = sampleFacts([mac]);
    facts.cpu.model = 'x'.repeat(300 * 1024);
    const big = await register(mac, token, facts);
    expect(big.statusCode).toBe(413);
    const all = (await h.app.inject({ url: '/api/v1/hardware', headers: h.headers })).json().items;
    expect(all.some((x: { spec: { macs: string[] } }) => x.spec.macs.includes(mac))).toBe(false);
  });

  it('assign → imaging script → agent progress → Ready → local boot; never reimaged without confirmation', async () => {
    await h.app.inject({ method: 'POST', url: '/api/v1/templates', headers: h.headers, payload: sampleTemplate('debian-12') });
    const reg = (await register(MAC, h.auth.issueEnrolmentToken(MAC))).json();
    const name = reg.hardware;
    const unknown = await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'nope', machines: [name] } });
    expect(unknown.statusCode).toBe(404);
    expect((await h.app.inject({ url: '/api/v1/workflows', headers: h.headers })).json().items).toHaveLength(0);

    const assign = await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'debian-12', machines: [name, 'ghost'] } });
    const results = assign.json().results;
    expect(results[1].error.code).toBe('DF_ERR_NOT_FOUND');
    const wfName = results[0].workflow;
    expect((await h.app.inject({ url: `/boot/ipxe?mac=${MAC}` })).body).toContain(': imaging\n');

    const hb = await h.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', headers: { authorization: `Bearer ${reg.agentToken}` }, payload: { mac: MAC } });
    expect(hb.json().next).toEqual({ action: 'run', workflow: wfName, attempt: 1 });
    // the heartbeat exchanged the discovery token for one bound to this run, as the agent does
    const agent = { authorization: `Bearer ${hb.json().agentToken}` };
    const wf = (await h.app.inject({ url: `/api/agent/v1/workflows/${wfName}`, headers: agent })).json();
    expect(wf.actions[1].content).toBe(`${name}\n`);
    const ev = (payload: object) => h.app.inject({ method: 'POST', url: `/api/agent/v1/workflows/${wfName}/events`, headers: agent, payload });
    await ev({ action: 0, phase: 'Running', bytesDone: 0, bytesTotal: 1000 });
    expect((await h.app.inject({ url: `/api/v1/hardware/${name}`, headers: h.headers })).json().status.state).toBe('Provisioning');
    await ev({ action: 0, phase: 'Running', bytesDone: 500, bytesTotal: 1000 });
    const mid = (await h.app.inject({ url: `/api/v1/workflows/${wfName}`, headers: h.headers })).json();
    expect(mid.status.actions[0].percent).toBe(50);
    const notes: string[] = [];
    h.workflows.on('notification', (n) => notes.push(n.title));
    await ev({ action: 0, phase: 'Succeeded', bytesDone: 1000 });
    await ev({ action: 1, phase: 'Succeeded' });
    await ev({ action: 2, phase: 'Succeeded' });
    const done = (await h.app.inject({ url: `/api/v1/hardware/${name}`, headers: h.headers })).json();
    expect(done.status.state).toBe('Ready');
    const steps = done.status.bootHistory.map((e: { step: string; detail?: string }) => `${e.step}${e.detail ? ` ${e.detail}` : ''}`);
    expect(steps).toContain('script imaging (bios)');
    expect(steps.slice(-5)).toEqual([
      'action:write-image running',
      'action:write-image succeeded',
      'action:seed succeeded',
      'action:reboot succeeded',
      'ready debian-12',
    ]);
    expect(notes).toEqual([`${done.spec.displayName} is Ready`]);
    for (let i = 0; i < 3; i++) {
      const s = (await h.app.inject({ url: `/boot/ipxe?mac=${MAC}` })).body;
      expect(s).toContain('sanboot --no-describe --drive 0x80');
      expect(s).not.toContain('kernel');
    }
    const again = await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'debian-12', machines: [name] } });
    expect(again.json().results[0].error.message).toMatch(/explicit reimage/);
    const confirmed = await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'debian-12', machines: [name], reimage: true } });
    expect(confirmed.json().results[0].workflow).toBeTruthy();
  });

  it('a failed action puts the machine in Error with the reason; retry from the failed action succeeds', async () => {
    const mac = '52:54:00:dd:00:01';
    const reg = (await register(mac, h.auth.issueEnrolmentToken(mac), sampleFacts([mac], { dmi: { uuid: 'aaaaaaaa-0000-0000-0000-000000000001' } }))).json();
    const wfName = (await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'debian-12', machines: [reg.hardware] } })).json().results[0].workflow;
    // as the agent does: the heartbeat after the assignment hands out the run's token
    const hb = await h.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', headers: { authorization: `Bearer ${reg.agentToken}` }, payload: { mac } });
    const agent = { authorization: `Bearer ${hb.json().agentToken}` };
    const ev = (payload: object) => h.app.inject({ method: 'POST', url: `/api/agent/v1/workflows/${wfName}/events`, headers: agent, payload });
    await ev({ action: 0, phase: 'Succeeded' });
    await ev({ action: 1, phase: 'Failed', message: 'partition 1 not found' });
    const hw = (await h.app.inject({ url: `/api/v1/hardware/${reg.hardware}`, headers: h.headers })).json();
    expect(hw.status.state).toBe('Error');
    expect(hw.status.message).toMatch(/action "seed" \(writefile\) failed: partition 1 not found/);
    const retry = await h.app.inject({ method: 'POST', url: `/api/v1/workflows/${wfName}/retry`, headers: h.headers, payload: { from: 'failed' } });
    expect(retry.json().status.currentAction).toBe(1);
    const again = await h.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', headers: agent, payload: { mac } });
    expect(again.json().next).toEqual({ action: 'run', workflow: wfName, attempt: 2 });
    // the retry is a new run: the heartbeat hands out its token and the old one is refused
    expect((await ev({ action: 1, phase: 'Succeeded' })).statusCode).toBe(401);
    agent.authorization = `Bearer ${again.json().agentToken}`;
    expect(retry.json().status.actions[0].phase).toBe('Succeeded');
    await ev({ action: 1, phase: 'Succeeded' });
    await ev({ action: 2, phase: 'Succeeded' });
    expect((await h.app.inject({ url: `/api/v1/hardware/${reg.hardware}`, headers: h.headers })).json().status.state).toBe('Ready');
  });

  it('a kexec action gets its command line with the variables filled in, as one kernel parameter each', async () => {
    const mac = '52:54:00:ae:ec:01';
    const tpl = sampleTemplate('kexec-cmdline');
    tpl.spec.actions[2] = { name: 'boot', type: 'kexec', disk: { path: '/dev/vda' }, partition: 1, kernel: '/vmlinuz', cmdline: 'console=ttyS0 dragonfly.host={{ hostname }} root=/dev/vda1' } as never;
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/templates', headers: h.headers, payload: tpl })).statusCode).toBe(201);
    const facts = sampleFacts([mac]);
    facts.dmi = { ...facts.dmi, uuid: '0e0e0e0e-2222-3333-4444-555555555555' };
    const reg = (await register(mac, h.auth.issueEnrolmentToken(mac), facts)).json();
    const assign = await h.app.inject({ method: 'POST', url: '/api/v1/assign', headers: h.headers, payload: { template: 'kexec-cmdline', machines: [reg.hardware] } });
    const wfName = assign.json().results[0].workflow;
    expect(wfName, assign.body).toBeTruthy();
    const hb = await h.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', headers: { authorization: `Bearer ${reg.agentToken}` }, payload: { mac } });
    const res = await h.app.inject({ url: `/api/agent/v1/workflows/${wfName}`, headers: { authorization: `Bearer ${hb.json().agentToken}` } });
    expect(res.statusCode, res.body).toBe(200);
    const wf = res.json();
    expect(wf.actions[2].cmdline).toBe(`console=ttyS0 dragonfly.host=${reg.hardware} root=/dev/vda1`);
  });

  it("an agent cannot read or report on another machine's workflow", async () => {
    const wfs = (await h.app.inject({ url: '/api/v1/workflows', headers: h.headers })).json().items;
    const intruder = h.auth.issueAgentToken('52:54:00:ee:00:01');
    const res = await h.app.inject({ url: `/api/agent/v1/workflows/${wfs[0].metadata.name}`, headers: { authorization: `Bearer ${intruder}` } });
    expect(res.statusCode).toBe(403);
  });
});
