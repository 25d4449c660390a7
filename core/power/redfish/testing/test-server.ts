/**
 * A Redfish service for tests: the DMTF `public-rackmount1` mockup (in
 * core/testing/fixtures/redfish; BSD-3-Clause, LICENSE.md there)
 * plus the behaviour a mockup cannot give: sessions, basic auth, 401, the Reset action
 * changing PowerState, PATCH with ETag/If-Match (412), and Redfish error bodies.
 * Listens on 127.0.0.1 only, over HTTP or HTTPS.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fixtureFile } from '../../../testing/fixture-files.ts';
import { checkPatch, redfishError } from './test-server-rules.ts';

/** Where the Redfish mockups live: core/testing/fixtures/redfish. */
export const redfishFixturesDir = fixtureFile('redfish');

export interface RedfishTestServerOptions {
  /** Mockup folder; default public-rackmount1 under redfishFixturesDir. */
  mockupDir?: string;
  /** Accepted credentials; default admin / secret. */
  username?: string;
  password?: string;
  /** Serve HTTPS with this key and certificate; default plain HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Copies of the mockup's system added as Systems/<id>-2, -3, ...; default 0. */
  extraSystems?: number;
  /** Answer 428 to a PATCH without If-Match; default false (If-Match is checked when sent). */
  requireIfMatch?: boolean;
}

export interface RedfishTestServer {
  url: string;
  port: number;
  /** Live resources by path ("/redfish/v1/Systems/437XR1138R2"); tests read and edit them. */
  resources: Map<string, Record<string, unknown>>;
  /** Every accepted Reset, in order. */
  resets: { system: string; resetType: string }[];
  /** Every request as "METHOD path", in order. */
  requests: string[];
  /** Live session tokens. */
  sessions: Map<string, string>;
  /** The next `n` PATCHes find the resource changed under them (a concurrent writer): 412. */
  conflictNextPatches(n: number): void;
  close(): Promise<void>;
}

/** Reads one index.json per resource path into a map keyed by "/redfish/v1/...". */
export function loadMockup(dir: string): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.name === 'index.json') {
        const key = ('/redfish/v1/' + rel.split(path.sep).join('/')).replace(/\/$/, '');
        out.set(key, JSON.parse(fs.readFileSync(path.join(dir, child), 'utf8')));
      }
    }
  };
  walk('');
  return out;
}

/** A throwaway self-signed certificate made with openssl in `dir`, and its SHA-256 fingerprint. */
export function makeSelfSignedCert(dir: string, commonName = 'bmc.test'): { key: Buffer; cert: Buffer; fingerprint: string } {
  const keyFile = path.join(dir, `${commonName}.key`);
  const certFile = path.join(dir, `${commonName}.crt`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${commonName}`,
  ], { stdio: 'ignore' });
  const cert = fs.readFileSync(certFile);
  return { key: fs.readFileSync(keyFile), cert, fingerprint: new X509Certificate(cert).fingerprint256 };
}

export async function startRedfishTestServer(opts: RedfishTestServerOptions = {}): Promise<RedfishTestServer> {
  const state = new ServerState(opts);
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    readBody(req)
      .then((body) => state.handle(req, body, res))
      .catch(() => send(res, 500, redfishError('GeneralError', 'internal test-server error')));
  };
  const server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    resources: state.resources,
    resets: state.resets,
    requests: state.requests,
    sessions: state.sessions,
    conflictNextPatches: (n) => (state.pendingConflicts = n),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

class ServerState {
  readonly resources: Map<string, Record<string, unknown>>;
  readonly resets: { system: string; resetType: string }[] = [];
  readonly requests: string[] = [];
  readonly sessions = new Map<string, string>(); // token -> session path
  pendingConflicts = 0;
  private readonly revisions = new Map<string, number>();
  private readonly opts: RedfishTestServerOptions;

  constructor(opts: RedfishTestServerOptions) {
    this.opts = opts;
    this.resources = loadMockup(opts.mockupDir ?? path.join(redfishFixturesDir, 'public-rackmount1'));
    this.addSystemCopies(opts.extraSystems ?? 0);
  }

  handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): void {
    const method = req.method ?? 'GET';
    const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/\/+$/, '') || '/';
    this.requests.push(`${method} ${p}`);
    if (p === '/redfish' && method === 'GET') return send(res, 200, { v1: '/redfish/v1/' });
    if ((p === '/redfish/v1' || p === '/redfish/v1/odata') && method === 'GET') return this.get(p, res);
    if (p === '/redfish/v1/$metadata') return sendXml(res, path.join(this.mockupDir(), '$metadata', 'index.xml'));
    const sessionsPath = '/redfish/v1/SessionService/Sessions';
    if (p === sessionsPath && method === 'POST') return this.login(raw, res);
    if (!this.authorized(req)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="redfish"');
      return send(res, 401, redfishError('NoValidSession', 'There is no valid session established with the implementation.'));
    }
    if (method === 'GET') return this.get(p, res);
    if (method === 'DELETE' && p.startsWith(sessionsPath + '/')) return this.logout(p, res);
    if (method === 'POST' && p.endsWith('/Actions/ComputerSystem.Reset')) return this.reset(p, raw, res);
    if (method === 'PATCH' && this.isSystem(p)) return this.patch(p, raw, req.headers['if-match'], res);
    if (!this.resources.has(p)) return this.notFound(p, res);
    return send(res, 405, redfishError('OperationNotAllowed', `The HTTP method ${method} is not allowed on ${p}.`));
  }

  private mockupDir(): string {
    return this.opts.mockupDir ?? path.join(redfishFixturesDir, 'public-rackmount1');
  }

  private authorized(req: http.IncomingMessage): boolean {
    const token = req.headers['x-auth-token'];
    if (typeof token === 'string' && this.sessions.has(token)) return true;
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Basic ')) return false;
    const [user, ...rest] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
    return this.credentialsOk(user, rest.join(':'));
  }

  private credentialsOk(user: unknown, password: unknown): boolean {
    return user === (this.opts.username ?? 'admin') && password === (this.opts.password ?? 'secret');
  }

  private login(raw: string, res: http.ServerResponse): void {
    const body = parse(raw) as { UserName?: unknown; Password?: unknown } | undefined;
    if (!body || !this.credentialsOk(body.UserName, body.Password)) {
      return send(res, 401, redfishError('ResourceAtUriUnauthorized', 'While accessing the resource at /redfish/v1/SessionService/Sessions, the service received an authorization error: invalid user name or password.'));
    }
    const id = randomBytes(8).toString('hex');
    const token = randomBytes(24).toString('hex');
    const p = `/redfish/v1/SessionService/Sessions/${id}`;
    const session = { '@odata.id': p, '@odata.type': '#Session.v1_3_0.Session', Id: id, Name: 'User Session', UserName: body.UserName };
    this.resources.set(p, session);
    this.updateSessionCollection(p);
    this.sessions.set(token, p);
    res.setHeader('X-Auth-Token', token);
    res.setHeader('Location', p);
    send(res, 201, session);
  }

  private logout(p: string, res: http.ServerResponse): void {
    if (!this.resources.delete(p)) return this.notFound(p, res);
    for (const [token, sp] of this.sessions) if (sp === p) this.sessions.delete(token);
    this.updateSessionCollection(p, true);
    res.writeHead(204).end();
  }

  /** Adds (or with `remove` drops) a member of the Sessions collection, keeping its count right. */
  private updateSessionCollection(p: string, remove = false): void {
    const coll = this.resources.get('/redfish/v1/SessionService/Sessions')!;
    const members = (coll.Members as { '@odata.id': string }[]).filter((m) => m['@odata.id'] !== p);
    if (!remove) members.push({ '@odata.id': p });
    coll.Members = members;
    coll['Members@odata.count'] = members.length;
  }

  private get(p: string, res: http.ServerResponse): void {
    const resource = this.resources.get(p);
    if (!resource) return this.notFound(p, res);
    res.setHeader('ETag', this.etag(p));
    send(res, 200, resource);
  }

  private reset(p: string, raw: string, res: http.ServerResponse): void {
    const systemPath = p.slice(0, -'/Actions/ComputerSystem.Reset'.length);
    const system = this.resources.get(systemPath);
    const action = (system?.Actions as Record<string, Record<string, unknown>> | undefined)?.['#ComputerSystem.Reset'];
    if (!system || !action) return this.notFound(p, res);
    const body = parse(raw) as { ResetType?: unknown } | undefined;
    const allowed = action['ResetType@Redfish.AllowableValues'] as string[] | undefined;
    if (!body || typeof body.ResetType !== 'string') {
      return send(res, 400, redfishError('ActionParameterMissing', 'The action ComputerSystem.Reset requires the parameter ResetType to be present in the request body.'));
    }
    if (allowed && !allowed.includes(body.ResetType)) {
      return send(res, 400, redfishError('ActionParameterValueNotInList', `The value ${body.ResetType} for the parameter ResetType in the action ComputerSystem.Reset is not in the list of acceptable values.`));
    }
    system.PowerState = nextPowerState(String(system.PowerState), body.ResetType);
    this.bump(systemPath);
    this.resets.push({ system: systemPath, resetType: body.ResetType });
    res.writeHead(204).end();
  }

  private patch(p: string, raw: string, ifMatch: string | undefined, res: http.ServerResponse): void {
    if (this.pendingConflicts > 0) {
      this.pendingConflicts--;
      this.bump(p); // another client wrote first
    }
    if (ifMatch === undefined && this.opts.requireIfMatch) {
      return send(res, 428, redfishError('PreconditionRequired', `A precondition header (If-Match) is required for PATCH on ${p}.`));
    }
    if (ifMatch !== undefined && ifMatch !== '*' && !ifMatch.split(/\s*,\s*/).includes(this.etag(p))) {
      return send(res, 412, redfishError('PreconditionFailed', `The ETag supplied did not match the ETag required to change this resource.`));
    }
    const system = this.resources.get(p)!;
    const verdict = checkPatch(system, parse(raw));
    if (!verdict.ok) return send(res, 400, verdict.error);
    Object.assign(system, verdict.merged);
    this.bump(p);
    res.setHeader('ETag', this.etag(p));
    send(res, 200, system);
  }

  private isSystem(p: string): boolean {
    return /^\/redfish\/v1\/Systems\/[^/]+$/.test(p) && this.resources.has(p);
  }

  private notFound(p: string, res: http.ServerResponse): void {
    send(res, 404, redfishError('ResourceMissingAtURI', `The resource at the URI ${p} was not found.`));
  }

  private etag(p: string): string {
    const h = createHash('sha256').update(JSON.stringify(this.resources.get(p))).update(String(this.revisions.get(p) ?? 0));
    return `W/"${h.digest('hex').slice(0, 16)}"`;
  }

  private bump(p: string): void {
    this.revisions.set(p, (this.revisions.get(p) ?? 0) + 1);
  }

  private addSystemCopies(n: number): void {
    const coll = this.resources.get('/redfish/v1/Systems')!;
    const members = coll.Members as { '@odata.id': string }[];
    const first = this.resources.get(members[0]['@odata.id'])!;
    for (let i = 2; i <= n + 1; i++) {
      const id = `${first.Id}-${i}`;
      const p = `/redfish/v1/Systems/${id}`;
      const copy = JSON.parse(JSON.stringify(first).split(String(first['@odata.id'])).join(p));
      Object.assign(copy, { Id: id, Name: `${first.Name}-${i}`, SerialNumber: id });
      this.resources.set(p, copy);
      members.push({ '@odata.id': p });
    }
    coll['Members@odata.count'] = members.length;
  }
}

/** Reset semantics of the ResetType enum (Redfish ComputerSystem schema). */
function nextPowerState(current: string, resetType: string): string {
  if (resetType === 'ForceOff' || resetType === 'GracefulShutdown') return 'Off';
  if (resetType === 'PushPowerButton') return current === 'On' ? 'Off' : 'On';
  if (resetType === 'Nmi' || resetType === 'Pause' || resetType === 'Suspend') return current;
  return 'On';
}

function parse(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'OData-Version': '4.0', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendXml(res: http.ServerResponse, file: string): void {
  const text = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.from('');
  res.writeHead(200, { 'Content-Type': 'application/xml' }).end(text);
}
