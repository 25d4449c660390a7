/**
 * Whatever a BMC answers, the driver ends in a value or a PowerError, never a TypeError or a
 * crash: bodies are arbitrary JSON, non-JSON text, or plausible trees with wrong types deep down.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PowerError } from '../driver.ts';
import { RedfishDriver } from './redfish-driver.ts';
import { redfishErrorMessages } from './redfish-error.ts';

type Reply = { status: number; body: string };
let replies: Record<string, Reply> = {};
const hits: Record<string, number> = {};
let server: http.Server;
let url: string;

const SYS = '/redfish/v1/Systems/1';
const json = (v: unknown) => JSON.stringify(v);
const anyBody = fc.oneof(fc.jsonValue().map(json), fc.string(), fc.constant(''), fc.constant('{"error":'));
const anyStatus = fc.constantFrom(200, 200, 200, 201, 204, 400, 404, 412, 500);
const reply = (body: fc.Arbitrary<string>) => fc.record({ status: anyStatus, body });
/** Mostly a good answer, so that later steps are reached; sometimes anything at all. */
const mostly = (good: string, other: fc.Arbitrary<string> = anyBody) =>
  fc.oneof({ arbitrary: fc.constant({ status: 200, body: good }), weight: 4 }, { arbitrary: reply(other), weight: 1 });

/** Plausible shapes with arbitrary leaves, so the driver gets past the first checks. */
const plausibleSystem = fc.record(
  {
    Id: fc.oneof(fc.string(), fc.jsonValue()),
    PowerState: fc.oneof(fc.constantFrom('On', 'Off', 'PoweringOn'), fc.jsonValue()),
    Boot: fc.oneof(fc.jsonValue(), fc.record({ BootSourceOverrideMode: fc.jsonValue(), 'BootSourceOverrideTarget@Redfish.AllowableValues': fc.jsonValue() })),
    Actions: fc.oneof(
      { arbitrary: fc.jsonValue(), weight: 1 },
      {
        arbitrary: fc.record({
          '#ComputerSystem.Reset': fc.record(
            {
              target: fc.constantFrom(`${SYS}/Actions/ComputerSystem.Reset`, `${SYS}/Actions/ComputerSystem.Reset`, 42),
              'ResetType@Redfish.AllowableValues': fc.jsonValue(),
              '@Redfish.ActionInfo': fc.constantFrom('/redfish/v1/info', '/redfish/v1/info', 7),
            },
            { requiredKeys: ['target', '@Redfish.ActionInfo'] },
          ),
        }),
        weight: 3,
      },
    ),
  },
  { requiredKeys: ['Actions'] },
).map(json);

const scenario = fc.record({
  root: mostly(json({ Systems: { '@odata.id': '/redfish/v1/Systems' } })),
  collection: mostly(json({ Members: [{ '@odata.id': SYS }] }), fc.oneof(anyBody, fc.jsonValue().map((m) => json({ Members: [m] })))),
  system: fc.oneof({ arbitrary: plausibleSystem.map((body) => ({ status: 200, body })), weight: 3 }, { arbitrary: reply(anyBody), weight: 1 }),
  action: reply(anyBody),
  info: reply(fc.oneof(anyBody, fc.jsonValue().map((p) => json({ Parameters: [{ Name: 'ResetType', AllowableValues: p }] })))),
  session: reply(anyBody),
  op: fc.constantFrom('status', 'on', 'off', 'cycle', 'setNextBoot', 'systems'),
  auth: fc.constantFrom('basic', 'session') as fc.Arbitrary<'basic' | 'session'>,
});

function route(p: string): Reply | undefined {
  const key = {
    '/redfish/v1/': 'root', '/redfish/v1/Systems': 'collection', [SYS]: 'system', [`${SYS}/Actions/ComputerSystem.Reset`]: 'action',
    '/redfish/v1/info': 'info', '/redfish/v1/SessionService/Sessions': 'session',
  }[p];
  if (key) hits[key] = (hits[key] ?? 0) + 1;
  return key ? replies[key] : undefined;
}

describe('malformed Redfish responses', () => {
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      const r = route(new URL(req.url ?? '/', 'http://x').pathname) ?? { status: 404, body: '' };
      res.writeHead(r.status, { 'X-Auth-Token': 'tok', 'Content-Type': 'application/json' }).end(r.status === 204 ? undefined : r.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('end in a value or a PowerError, never another exception', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        replies = s as unknown as Record<string, Reply>;
        const d = new RedfishDriver({ baseUrl: url, username: 'u', password: 'p', auth: s.auth, offWaitMs: 20, pollMs: 5, timeoutMs: 2000 });
        try {
          const run = {
            status: () => d.status(),
            on: () => d.on(),
            off: () => d.off(),
            cycle: () => d.cycle(),
            setNextBoot: () => d.setNextBoot({ device: 'pxe', persistent: false, uefi: true }),
            systems: () => d.systems(),
          }[s.op];
          await run().catch((e: unknown) => {
            if (!(e instanceof PowerError)) throw e;
          });
        } finally {
          await d.close();
        }
      }),
      { numRuns: 150 },
    );
    // The generator must reach deep: the Reset action and the ActionInfo lookup were exercised.
    expect(hits.action).toBeGreaterThan(0);
    expect(hits.info).toBeGreaterThan(0);
  });

  it('status() is "unknown" for a PowerState outside the schema', async () => {
    replies = {
      root: { status: 200, body: json({ Systems: { '@odata.id': '/redfish/v1/Systems' } }) },
      collection: { status: 200, body: json({ Members: [{ '@odata.id': SYS }] }) },
      system: { status: 200, body: json({ Id: '1', PowerState: 'Paused' }) },
    };
    const d = new RedfishDriver({ baseUrl: url, username: 'u', password: 'p', auth: 'basic' });
    expect(await d.status()).toBe('unknown');
    await d.close();
  });

  it('redfishErrorMessages never throws and returns only strings', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const out = redfishErrorMessages(v);
        expect(out.every((m) => typeof m === 'string')).toBe(true);
      }),
    );
    expect(redfishErrorMessages({ error: { message: 'summary', '@Message.ExtendedInfo': [{ Message: 'one' }, 5, { Message: 'two' }] } })).toEqual(['one', 'two']);
    expect(redfishErrorMessages({ error: { message: 'summary' } })).toEqual(['summary']);
  });
});
