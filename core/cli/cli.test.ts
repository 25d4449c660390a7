import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');
const bin = join(repo, 'bin', 'dragonfly.mjs');

let dir: string;
let server: ChildProcess;
let url: string;
let banner = '';

function cli(args: string[], env: Record<string, string> = {}, input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function startServe(dataDir: string): Promise<{ proc: ChildProcess; url: string; output: () => string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [bin, 'serve', '--data-dir', dataDir, '--http-port', '0', '--listen', '127.0.0.1', '--tftp-port', '0', '--log-level', 'warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /Dragonfly API and UI at (http:\/\/\S+)/.exec(out);
      if (m) resolve({ proc, url: m[1], output: () => out });
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 20_000).unref();
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-cli-'));
  const s = await startServe(join(dir, 'data'));
  server = s.proc;
  url = s.url;
  await new Promise((r) => setTimeout(r, 200));
  banner = s.output();
});

afterAll(async () => {
  server?.kill('SIGTERM');
  await new Promise((r) => server?.once('exit', r));
  await rm(dir, { recursive: true, force: true });
});

describe('dragonfly CLI against a running `dragonfly serve`', { timeout: 120_000 }, () => { // each test starts several CLI processes: seconds apiece on a loaded machine
  it('serve prints the address and the one-time admin password; /healthz answers; the API refuses anonymous calls', async () => {
    expect(banner).toMatch(/admin password: [a-z2-9]{5}-[a-z2-9]{5}-[a-z2-9]{5}-[a-z2-9]{5}/);
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true });
    expect((await fetch(`${url}/api/v1/hardware`)).status).toBe(401);
  });

  it('a second instance on the same data directory refuses to start and names the holder', () => {
    const r = cli(['serve', '--data-dir', join(dir, 'data'), '--http-port', '0', '--listen', '127.0.0.1', '--tftp-port', '0']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`in use by process ${server.pid} `));
  });

  it('tokens create --data-dir, apply -f (file and stdin), machines list, templates list, --json', async () => {
    const created = cli(['tokens', 'create', 'automation', '--data-dir', join(dir, 'data')]);
    expect(created.code).toBe(0);
    const token = created.out.trim();
    expect(token).toMatch(/^dfk_/);
    const env = { DRAGONFLY_URL: url, DRAGONFLY_TOKEN: token };
    const file = join(dir, 'tpl.yaml');
    await writeFile(file, 'apiVersion: dragonfly.computer/v1\nkind: Template\nmetadata: {name: debian-12}\nspec:\n  actions:\n    - {name: reboot, type: reboot}\n');
    expect(cli(['apply', '-f', file], env).out.trim()).toBe('template/debian-12 created');
    const hw = JSON.stringify({ apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name: 'm1' }, spec: { macs: ['52:54:00:00:00:01'], displayName: 'Amber Falcon Orbit' } });
    expect(cli(['apply', '-f', '-'], env, hw).out.trim()).toBe('hardware/m1 created');
    const list = cli(['machines', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^NAME\s+DISPLAY\s+MAC\s+STATE/);
    expect(list.out).toMatch(/m1\s+Amber Falcon Orbit\s+52:54:00:00:00:01\s+Discovered/);
    const json = JSON.parse(cli(['--json', 'machines', 'list'], env).out);
    expect(json[0].metadata.name).toBe('m1');
    expect(cli(['templates', 'list'], env).out).toMatch(/debian-12\s+1/);
  });

  it('a template with a secret variable: apply -f without the value, then templates secret from stdin; stored encrypted, never shown', async () => {
    const token = cli(['tokens', 'create', 'secrets', '--data-dir', join(dir, 'data')]).out.trim();
    const env = { DRAGONFLY_URL: url, DRAGONFLY_TOKEN: token };
    const yaml = [
      'apiVersion: dragonfly.computer/v1',
      'kind: Template',
      'metadata: {name: with-secret}',
      'spec:',
      '  secretVariables: [rootPassword]',
      '  actions:',
      "    - {name: seed, type: writefile, disk: {path: /dev/vda}, partition: 1, path: /root/pw, content: '{{ rootPassword }}'}",
      '    - {name: reboot, type: reboot}',
      '',
    ].join('\n');
    const applied = cli(['apply', '-f', '-'], env, yaml);
    expect(applied.out.trim(), applied.err).toBe('template/with-secret created');
    const empty = cli(['templates', 'secret', 'with-secret', 'rootPassword'], env, '');
    expect(empty.code).toBe(1);
    expect(empty.err).toMatch(/give the value of rootPassword on stdin/);
    const set = cli(['templates', 'secret', 'with-secret', 'rootPassword'], env, 'Cli-S3cret-value\n');
    expect(set.code, set.err).toBe(0);
    expect(set.out.trim()).toBe('secret rootPassword of template with-secret set');
    const auth = { authorization: `Bearer ${token}` };
    const listed = await (await fetch(`${url}/api/v1/templates/with-secret/secrets`, { headers: auth })).json();
    expect(listed).toEqual({ items: [{ name: 'rootPassword', set: true }] });
    expect(await (await fetch(`${url}/api/v1/templates/with-secret`, { headers: auth })).text()).not.toContain('Cli-S3cret');
    const onDisk = await readFile(join(dir, 'data', 'template-secrets.json'), 'utf8');
    expect(onDisk).toContain('template/with-secret/rootPassword');
    expect(onDisk).not.toContain('Cli-S3cret');
  });

  it('admin password: through the API with a token, then with --data-dir; the one-time password file goes, the banner said it would', async () => {
    expect(banner).toMatch(/initial-admin-password until you change it/);
    const first = /admin password: (\S+)/.exec(banner)![1];
    const token = cli(['tokens', 'create', 'pw', '--data-dir', join(dir, 'data')]).out.trim();
    const env = { DRAGONFLY_URL: url, DRAGONFLY_TOKEN: token };
    const oneLine = cli(['admin', 'password'], env, `${first}\n`);
    expect(oneLine.code).toBe(1);
    expect(oneLine.err).toMatch(/current and the new password on stdin, one per line/);
    const wrong = cli(['admin', 'password'], env, 'nope\nsecond-password-123\n');
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/the current password is wrong/);
    expect(existsSync(join(dir, 'data', 'initial-admin-password'))).toBe(true);
    const ok = cli(['admin', 'password'], env, `${first}\nsecond-password-123\n`);
    expect(ok.code, ok.err).toBe(0);
    expect(existsSync(join(dir, 'data', 'initial-admin-password'))).toBe(false);
    expect(cli(['admin', 'password', '--data-dir', join(dir, 'data')], {}, 'second-password-123\nthird-password-456\n').code).toBe(0);
    expect(cli(['admin', 'password', '--data-dir', join(dir, 'nowhere')], {}, 'a\nb\n').err).toMatch(/holds no Dragonfly credentials/);
    const login = (password: string) =>
      fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
    expect((await login('second-password-123')).status).toBe(401);
    expect((await login('third-password-456')).status).toBe(200); // the running server sees the file change
  }, 120_000); // six CLI processes, each a Node start: several seconds apiece on a loaded machine

  it("bad input: the CLI prints the server's message and exits non-zero", async () => {
    const token = cli(['tokens', 'create', 'bad-input', '--data-dir', join(dir, 'data')]).out.trim();
    const env = { DRAGONFLY_URL: url, DRAGONFLY_TOKEN: token };
    const r = cli(['apply', '-f', '-'], env, 'apiVersion: dragonfly.computer/v1\nkind: Template\nmetadata: {name: x}\nspec: {actions: []}\n');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\/spec\/actions/);
    const assign = cli(['assign', 'nope', 'm1'], env);
    expect(assign.code).toBe(1);
    expect(assign.err).toMatch(/Template "nope" not found/);
    const anon = cli(['machines', 'list'], { DRAGONFLY_URL: url, DRAGONFLY_TOKEN: '' });
    expect(anon.code).toBe(1);
    expect(anon.err).toMatch(/sign in first/);
    const down = cli(['machines', 'list'], { DRAGONFLY_URL: 'http://127.0.0.1:1', DRAGONFLY_TOKEN: token });
    expect(down.err).toMatch(/cannot reach the control plane at http:\/\/127.0.0.1:1/);
  });

  it('machines identity: a registration with the same MAC and another serial is refused; the CLI refuses it for good, then a typo is named', async () => {
    const token = cli(['tokens', 'create', 'identity', '--data-dir', join(dir, 'data')]).out.trim();
    const env = { DRAGONFLY_URL: url, DRAGONFLY_TOKEN: token };
    const mac = '52:54:00:c1:1d:01';
    const register = async (serial: string) => {
      const script = await (await fetch(`${url}/boot/ipxe?mac=${mac}`)).text();
      const enrol = /dragonfly\.token=(\S+)/.exec(script)![1];
      const facts = {
        cpu: { model: 'x', sockets: 1, cores: 1, threads: 1 }, memoryBytes: 2 ** 30, disks: [],
        nics: [{ name: 'eth0', mac }], dmi: { serial, uuid: 'c11d0000-0000-0000-0000-000000000001' }, firmware: 'bios',
      };
      return fetch(`${url}/api/agent/v1/register`, { method: 'POST', headers: { authorization: `Bearer ${enrol}`, 'content-type': 'application/json' }, body: JSON.stringify({ mac, facts }) });
    };
    const first = await register('CLI-REAL');
    expect(first.status).toBe(200);
    const { hardware: name, agentToken } = (await first.json()) as { hardware: string; agentToken: string };
    const heartbeat = () => fetch(`${url}/api/agent/v1/heartbeat`, { method: 'POST', headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ mac }) });
    expect((await heartbeat()).status).toBe(200);
    const revoked = cli(['machines', 'revoke-token', name], env);
    expect(revoked.out.trim()).toBe(`${name}: agent tokens revoked for ${mac}`);
    expect((await heartbeat()).status).toBe(401);
    expect((await register('CLI-FAKE')).status).toBe(409);
    const typo = cli(['machines', 'identity', name, 'acept'], env);
    expect(typo.code).toBe(1);
    expect(typo.err).toMatch(/decision "acept": say accept or refuse/);
    const refused = cli(['machines', 'identity', name, 'refuse'], env);
    expect(refused.code, refused.err).toBe(0);
    expect(refused.out).toMatch(new RegExp(`${name}: identity refused; pinned serial CLI-REAL`));
    expect((await register('CLI-FAKE')).status).toBe(409);
    const none = cli(['machines', 'identity', name, 'accept'], env);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/has no identity conflict to resolve/);
  }, 150_000); // four CLI processes on a loaded machine

  it('enrolment approve: a new machine waits; machines approve lets it through; a bad mode is named', async () => {
    const token = cli(['tokens', 'create', 'approve', '--data-dir', join(dir, 'data')]).out.trim();
    const env = { DRAGONFLY_URL: url, DRAGONFLY_TOKEN: token };
    expect(cli(['enrolment', 'anyone'], env).err).toMatch(/enrolment "anyone": say open or approve/);
    expect(cli(['enrolment', 'approve'], env).out.trim()).toBe('enrolment: approve');
    const mac = '52:54:00:c1:a9:01';
    const script = await (await fetch(`${url}/boot/ipxe?mac=${mac}`)).text();
    const enrol = /dragonfly\.token=(\S+)/.exec(script)![1];
    const facts = { cpu: { model: 'x', sockets: 1, cores: 1, threads: 1 }, memoryBytes: 2 ** 30, disks: [], nics: [{ name: 'eth0', mac }], dmi: { serial: 'CLI-A9' }, firmware: 'bios' };
    const reg = await fetch(`${url}/api/agent/v1/register`, { method: 'POST', headers: { authorization: `Bearer ${enrol}`, 'content-type': 'application/json' }, body: JSON.stringify({ mac, facts }) });
    const name = ((await reg.json()) as { hardware: string }).hardware;
    expect(cli(['machines', 'list'], env).out).toMatch(new RegExp(`${name}\\s.*Discovered`));
    const ok = cli(['machines', 'approve', name], env);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out.trim()).toBe(`${name}: approved (Registered)`);
    expect(cli(['machines', 'approve', name], env).err).toMatch(/not awaiting approval/);
    cli(['enrolment', 'open'], env);
    // Forgotten, the MAC is unknown again (docs/SECURE-BOOT.md: shim at its next boot).
    expect(cli(['machines', 'forget', name], env).out.trim()).toBe(`${name}: forgotten; its next network boot discovers it again`);
    expect(cli(['machines', 'list'], env).out).not.toContain(name);
    expect(cli(['machines', 'forget', name], env).code).toBe(1);
  }, 180_000); // eight CLI processes on a loaded machine
});
