import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentApi, interpret } from './api.ts';
import { checkHeartbeatReply, checkRegisterReply } from './protocol.ts';
import type { HardwareFacts } from '../core/model/hardware.ts';

const facts: HardwareFacts = {
  cpu: { model: 'x', sockets: 1, cores: 1, threads: 1 }, memoryBytes: 1, disks: [], nics: [], dmi: {}, firmware: 'bios',
};
const REG = { hardware: 'hw-1', displayName: 'Amber Falcon Orbit', agentToken: 'tok2', next: { action: 'wait' }, heartbeatSeconds: 5 };

describe('interpret', () => {
  it('sorts 410 as gone (the control plane gave the workflow up) and reads a cancellation off a heartbeat reply', () => {
    expect(interpret(410, '{"message":"workflow w was cancelled"}', (v) => v)).toEqual({ ok: false, kind: 'gone', reason: 'HTTP 410: workflow w was cancelled' });
    const beat = { next: { action: 'wait' }, cancelled: { workflow: 'w', reason: 'workflow w was cancelled' } };
    expect(interpret(200, JSON.stringify(beat), checkHeartbeatReply)).toEqual({ ok: true, value: beat });
    expect(checkHeartbeatReply({ next: { action: 'wait' }, cancelled: { reason: 'x' } })).toBe('cancelled has no workflow name');
  });

  it('accepts a well-formed registration reply', () => {
    expect(interpret(200, JSON.stringify(REG), checkRegisterReply)).toEqual({ ok: true, value: REG });
  });

  it('classes 401 and 403 as auth failures carrying the server message', () => {
    expect(interpret(401, '{"message":"enrolment token expired"}', checkRegisterReply)).toEqual({
      ok: false, kind: 'auth', status: 401, reason: 'HTTP 401: enrolment token expired',
    });
    expect(interpret(403, '', checkRegisterReply)).toMatchObject({ kind: 'auth', reason: 'HTTP 403: (empty body)' });
  });

  it("carries the control plane's reason for the refusal (details.refusal) when it is one the contract names", () => {
    const body = (refusal: unknown) => JSON.stringify({ code: 'DF_ERR_UNAUTHORIZED', message: 'refused', details: { refusal } });
    expect(interpret(401, body('spent'), checkRegisterReply)).toEqual({ ok: false, kind: 'auth', status: 401, reason: 'HTTP 401: refused', refusal: 'spent' });
    expect(interpret(401, body('no-machine'), checkRegisterReply)).toMatchObject({ refusal: 'no-machine' });
    expect(interpret(401, body('bored'), checkRegisterReply)).not.toHaveProperty('refusal');
    expect(interpret(401, 'null', checkRegisterReply)).not.toHaveProperty('refusal');
  });

  it('classes 5xx, HTML error pages and wrong shapes as retryable, saying why', () => {
    expect(interpret(503, '<html>Bad Gateway</html>', checkRegisterReply)).toMatchObject({ kind: 'retry', reason: 'HTTP 503: <html>Bad Gateway</html>' });
    expect(interpret(200, '{"hardware":', checkRegisterReply)).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/^unparsable reply/) });
    expect(interpret(200, JSON.stringify({ ...REG, agentToken: '' }), checkRegisterReply)).toMatchObject({ kind: 'retry', reason: 'bad reply: reply has no agentToken' });
    expect(interpret(200, JSON.stringify({ ...REG, next: { action: 'run' } }), checkRegisterReply)).toMatchObject({ reason: expect.stringMatching(/workflow is missing/) });
  });
});

describe('AgentApi over HTTP on loopback', () => {
  let server: Server;
  let base: string;
  const seen: Array<{ url?: string; auth?: string; body: string }> = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c)).on('end', () => {
        seen.push({ url: req.url, auth: req.headers.authorization, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(REG));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('posts the MAC and facts with the bearer token to /api/agent/v1/register', async () => {
    const res = await new AgentApi(base).register('enrol', '52:54:00:00:00:01', facts);
    expect(res).toEqual({ ok: true, value: REG });
    expect(seen.at(-1)).toEqual({ url: '/api/agent/v1/register', auth: 'Bearer enrol', body: JSON.stringify({ mac: '52:54:00:00:00:01', facts }) });
  });

  it('escapes the workflow name in the events path', async () => {
    await new AgentApi(base).workflowEvent('tok2', 'a b/c', { action: 0, phase: 'Failed', message: 'm' });
    expect(seen.at(-1)?.url).toBe('/api/agent/v1/workflows/a%20b%2Fc/events');
  });

  it('reports a refused connection as retryable with the system error code', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const res = await new AgentApi(`http://127.0.0.1:${port}`).heartbeat('t', '52:54:00:00:00:01');
    expect(res).toMatchObject({ ok: false, kind: 'retry', reason: expect.stringContaining('ECONNREFUSED') });
  });
});
