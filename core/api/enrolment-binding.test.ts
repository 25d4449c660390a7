import { afterEach, describe, expect, it } from 'vitest';
import { EnrolmentGate, type EnrolmentOptions } from '../boot/enrolment.ts';
import { BootTimeline } from '../boot/timeline.ts';
import type { DhcpEvent } from '../dhcp/events.ts';
import type { Hardware } from '../model/hardware.ts';
import { createHarness, sampleFacts, type Harness } from '../testing/api-harness.ts';

// Issue 14: a boot script with an enrolment token goes only to the address that did this MAC's
// DHCP exchange, the token does not work from another address, and unknown MACs cannot grow
// the inventory without bound. Each attack below got a token or an object on the old code.
const VICTIM = '52:54:00:e1:00:01';
const VICTIM_IP = '10.77.0.100';
const ATTACKER_IP = '10.77.0.66';
const MINUTE = 60_000;

let h: Harness | undefined;
let clock = Date.parse('2026-12-05T02:00:00Z');
afterEach(async () => h?.close());

async function harness(o: EnrolmentOptions = {}): Promise<{ h: Harness; timeline: BootTimeline }> {
  const timeline = new BootTimeline({ recordBootStep: async () => {} }, new EnrolmentGate({ dhcpRuns: () => true, now: () => clock, ...o }));
  h = await createHarness({ timeline });
  return { h, timeline };
}

const ack = (mac: string, ip: string): DhcpEvent => ({ type: 'ack', mode: 'full', mac, ip, arch: 'bios', bootfile: 'undionly.kpxe' });
const script = (mac: string, from: string) => h!.app.inject({ url: `/boot/ipxe?mac=${mac}&platform=pcbios`, remoteAddress: from });
const tokenIn = (body: string) => /dragonfly\.token=(\S+)/.exec(body)?.[1];
const register = (mac: string, token: string, from: string) =>
  h!.app.inject({ method: 'POST', url: '/api/agent/v1/register', remoteAddress: from, headers: { authorization: `Bearer ${token}` }, payload: { mac, facts: sampleFacts([mac]) } });
const status = async () => (await h!.app.inject({ url: '/api/v1/status', headers: h!.headers })).json().enrolment;
const machines = async () => (await h!.store.list<Hardware>('Hardware')).items.length;

describe('enrolment token only for the address of this MAC\'s DHCP exchange', () => {
  it('without any DHCP exchange, a request for the victim MAC gets the retry script, no token, and creates nothing', async () => {
    await harness();
    const res = await script(VICTIM, ATTACKER_IP);
    expect(res.statusCode).toBe(200);
    expect(tokenIn(res.body)).toBeUndefined();
    expect(res.body).toContain(`no DHCP exchange of ${VICTIM} from ${ATTACKER_IP}`);
    expect(res.body).toContain('dhcp || echo');
    expect(await machines()).toBe(0);
    expect((await status()).tokensRefused).toBe(1);
  });

  it('after the victim\'s full-mode ACK, only the leased address gets a token, within the window', async () => {
    const { timeline } = await harness();
    timeline.dhcp({ type: 'discover', mode: 'full', mac: VICTIM });
    timeline.dhcp(ack(VICTIM, VICTIM_IP));
    expect(tokenIn((await script(VICTIM, ATTACKER_IP)).body)).toBeUndefined();
    expect(tokenIn((await script(VICTIM, `::ffff:${VICTIM_IP}`)).body)).toMatch(/^dfe1\./);
    clock += 5 * MINUTE + 1000;
    expect(tokenIn((await script(VICTIM, VICTIM_IP)).body)).toBeUndefined();
  });

  it('a full-mode REQUEST or OFFER (not yet granted) is no evidence; a proxy REQUEST naming its address and the 4011 ciaddr are', async () => {
    const { timeline } = await harness();
    timeline.dhcp({ type: 'offer', mode: 'full', mac: VICTIM, ip: VICTIM_IP });
    timeline.dhcp({ type: 'request', mode: 'full', mac: VICTIM, ip: VICTIM_IP });
    timeline.dhcp({ type: 'discover', mode: 'proxy', mac: '52:54:00:e1:00:02' });
    expect(tokenIn((await script(VICTIM, VICTIM_IP)).body)).toBeUndefined();
    expect(tokenIn((await script('52:54:00:e1:00:02', '10.77.0.102')).body)).toBeUndefined();
    timeline.dhcp({ type: 'request', mode: 'proxy', mac: '52:54:00:e1:00:02', ip: '10.77.0.102', arch: 'uefi-x64' });
    timeline.dhcp({ type: 'ack', mode: 'proxy', mac: '52:54:00:e1:00:03', ip: '10.77.0.103', arch: 'uefi-x64', bootfile: 'ipxe.efi' });
    expect(tokenIn((await script('52:54:00:e1:00:02', '10.77.0.102')).body)).toMatch(/^dfe1\./);
    expect(tokenIn((await script('52:54:00:e1:00:03', '10.77.0.103')).body)).toMatch(/^dfe1\./);
  });

  it('a token the victim received cannot be replayed from another address; from its own it registers', async () => {
    const { timeline } = await harness();
    timeline.dhcp(ack(VICTIM, VICTIM_IP));
    const token = tokenIn((await script(VICTIM, VICTIM_IP)).body)!;
    const stolen = await register(VICTIM, token, ATTACKER_IP);
    expect(stolen.statusCode).toBe(401);
    expect(stolen.json().message).toContain(`issued to ${VICTIM_IP}, not ${ATTACKER_IP}`);
    expect((await h!.store.list<Hardware>('Hardware')).items[0].spec.facts).toBeUndefined();
    expect((await register(VICTIM, token, VICTIM_IP)).statusCode).toBe(200);
    expect((await status()).replaysRefused).toBe(1);
  });

  it("the agent's retry of a registration whose answer was lost (same request, same address, within 2 minutes) is answered again", async () => {
    const { timeline } = await harness();
    timeline.dhcp(ack(VICTIM, VICTIM_IP));
    const token = tokenIn((await script(VICTIM, VICTIM_IP)).body)!;
    expect((await register(VICTIM, token, VICTIM_IP)).statusCode).toBe(200);
    const retry = await register(VICTIM, token, VICTIM_IP);
    expect(retry.statusCode).toBe(200);
    expect(retry.json().agentToken).toMatch(/^dfa2\./);
    expect((await status()).replaysRefused).toBe(0);
  });

  it('an enrolment token works once: replayed from the same address it is a 401 saying it was used, and changes nothing', async () => {
    const { timeline } = await harness();
    timeline.dhcp(ack(VICTIM, VICTIM_IP));
    const token = tokenIn((await script(VICTIM, VICTIM_IP)).body)!;
    expect((await register(VICTIM, token, VICTIM_IP)).statusCode).toBe(200);
    const before = (await h!.store.list<Hardware>('Hardware')).items[0];
    const replay = await h!.app.inject({
      method: 'POST', url: '/api/agent/v1/register', remoteAddress: VICTIM_IP, headers: { authorization: `Bearer ${token}` },
      payload: { mac: VICTIM, facts: { ...sampleFacts([VICTIM]), cpu: { model: 'replayed', sockets: 1, cores: 1, threads: 1, arch: 'x86_64' } } },
    });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().message).toMatch(new RegExp(`enrolment token for ${VICTIM} was already used at .* from ${VICTIM_IP}; it works once`));
    expect((await h!.store.list<Hardware>('Hardware')).items[0].spec.facts).toEqual(before.spec.facts);
    expect((await status()).replaysRefused).toBe(1);
    // the next boot's script carries a new token, which works
    const next = tokenIn((await script(VICTIM, VICTIM_IP)).body)!;
    expect(next).not.toBe(token);
    expect((await register(VICTIM, next, VICTIM_IP)).statusCode).toBe(200);
  });

  it('single use holds with the gate open (DHCP off) too', async () => {
    await harness({ dhcpRuns: () => false });
    const token = tokenIn((await script(VICTIM, ATTACKER_IP)).body)!;
    expect((await register(VICTIM, token, ATTACKER_IP)).statusCode).toBe(200);
    expect((await register(VICTIM, token, '10.77.0.67')).statusCode).toBe(401);
  });

  it('with DHCP off here there is no evidence: tokens are issued and status warns that the gate is open', async () => {
    await harness({ dhcpRuns: () => false });
    expect(tokenIn((await script(VICTIM, ATTACKER_IP)).body)).toMatch(/^dfe1\./);
    const s = await status();
    expect(s.requireDhcpEvidence).toBe(false);
    expect(s.warning).toMatch(/DHCP is off/);
  });
});

describe('bounded unauthenticated work', () => {
  const randomMac = (i: number) => `02:${[i >> 16, (i >> 8) & 255, i & 255, 0x5a, 0xa5].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;

  it('3,000 random MACs create at most the caps; the excess gets no token and is counted in status', async () => {
    await harness({ dhcpRuns: () => false, discoveriesPerMinute: 60, discoveriesTotal: 200 });
    const known = randomMac(0);
    let tokens = 0;
    for (let i = 0; i < 3000; i++) {
      if (i === 30) clock += 10_000; // 30 in the first ten seconds, then one a second
      if (i > 30) clock += 1000;
      if (tokenIn((await script(randomMac(i), ATTACKER_IP)).body)) tokens++;
    }
    expect(await machines()).toBe(200);
    expect(tokens).toBe(200);
    expect((await status()).discovery).toEqual({ created: 200, refused: 2800, perMinute: 60, total: 200 });
    // A machine that already exists still gets its script when the budget is spent.
    expect(tokenIn((await script(known, ATTACKER_IP)).body)).toMatch(/^dfe1\./);
  }, 120_000);

  it('per minute: the 61st new MAC in a minute waits, the next minute has room again', async () => {
    await harness({ dhcpRuns: () => false });
    for (let i = 0; i < 61; i++) await script(randomMac(i), ATTACKER_IP);
    expect(await machines()).toBe(60);
    clock += MINUTE;
    expect(tokenIn((await script(randomMac(61), ATTACKER_IP)).body)).toMatch(/^dfe1\./);
    expect(await machines()).toBe(61);
  });
});
