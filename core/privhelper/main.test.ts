import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { describeWithPeers } from '../testing/peers.ts';
import { parseHelperTarget } from './client.ts';
import { parseHelperArgs } from './main.ts';

const run = promisify(execFile);

describe('dragonfly-privhelper command line', () => {
  it('takes one mode, an owner for --listen, and valid interface names', () => {
    expect(parseHelperArgs(['--stdio', '--interface', 'br0'])).toEqual({ mode: 'stdio', interfaces: ['br0'] });
    expect(parseHelperArgs(['--listen', '/run/x.sock', '--owner', '1000:1001'])).toEqual({ mode: 'listen', path: '/run/x.sock', owner: { uid: 1000, gid: 1001 }, interfaces: [] });
    expect(() => parseHelperArgs([])).toThrow('give exactly one of --stdio or --listen');
    expect(() => parseHelperArgs(['--stdio', '--listen', '/x'])).toThrow('give exactly one of --stdio or --listen');
    expect(() => parseHelperArgs(['--listen', '/x'])).toThrow('--listen needs --owner');
    expect(() => parseHelperArgs(['--listen', '/x', '--owner', 'alice'])).toThrow('--owner "alice" must be a numeric UID or UID:GID');
    expect(() => parseHelperArgs(['--stdio', '--interface', '../../etc'])).toThrow('--interface "../../etc" is not a valid interface name');
    expect(() => parseHelperArgs(['--stdio', '--port', '22'])).toThrow('unknown argument "--port"');
  });

  it('--priv-helper is unix:PATH or exec:COMMAND, anything else named', () => {
    expect(parseHelperTarget('unix:/run/dragonfly-privhelper.sock')).toEqual({ kind: 'unix', path: '/run/dragonfly-privhelper.sock' });
    expect(parseHelperTarget('exec:pkexec /opt/Dragonfly/resources/privhelper/dragonfly-privhelper --stdio')).toEqual({ kind: 'exec', argv: ['pkexec', '/opt/Dragonfly/resources/privhelper/dragonfly-privhelper', '--stdio'] });
    expect(() => parseHelperTarget('/run/x.sock')).toThrow('--priv-helper "/run/x.sock" must be unix:/path/to/socket or exec:COMMAND');
    expect(() => parseHelperTarget('exec:')).toThrow('must be unix:');
  });
});

describeWithPeers(['root', 'setpriv'], '--listen socket access (root switches users)', () => {
  it('is 0600 and owned by --owner: that user connects, another gets EACCES', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dfph-listen-'));
    chmodSync(dir, 0o755);
    const sock = join(dir, 'h.sock');
    const helper = spawn(process.execPath, ['bin/dragonfly-privhelper.mjs', '--listen', sock, '--owner', '1000:1000'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    helper.stderr.on('data', (d: Buffer) => (log += d));
    try {
      for (let i = 0; i < 600 && !log.includes('listening on'); i++) await new Promise((r) => setTimeout(r, 50));
      const st = statSync(sock);
      expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o600, 1000, 1000]);
      const connectAs = async (uid: number) => {
        const script = `require('net').connect(${JSON.stringify(sock)}).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); })`;
        const { stdout } = await run('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', process.execPath, '-e', script], { timeout: 20_000 });
        return stdout.trim();
      };
      expect(await connectAs(1000)).toBe('connected');
      expect(await connectAs(1001)).toBe('EACCES');
    } finally {
      helper.kill('SIGTERM');
      await new Promise((r) => helper.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithPeers(['root', 'setpriv'], 'what an unprivileged Dragonfly says when the helper is not there (root switches users)', () => {
  it('DHCP and TFTP name the port, the helper address and how to start it', async () => {
    const script = `
      import { helperBackedSockets } from './core/privhelper/service-sockets.ts';
      import { createTftpServer } from './core/tftp/server.ts';
      const s = helperBackedSockets({ kind: 'unix', path: '/nonexistent/privhelper.sock' });
      const out = [];
      await s.dhcp({ port: 67, iface: 'lo', onMessage() {} }).then(() => out.push('bound'), (e) => out.push(e.code + ': ' + e.message));
      await createTftpServer({ address: '127.0.0.1', port: 69, ...s.tftp('lo') }).then(() => out.push('bound'), (e) => out.push(e.code + ': ' + e.message));
      console.log(JSON.stringify(out));
    `;
    const { stdout } = await run('setpriv', ['--reuid=1000', '--regid=1000', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', 'env', 'HOME=/tmp', process.execPath, '--no-deprecation', '--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000 });
    const [dhcp, tftp] = JSON.parse(stdout.trim().split('\n').at(-1)!) as string[];
    const fix = 'Is dragonfly-privhelper running (as root, --listen /nonexistent/privhelper.sock --owner 1000)?';
    expect(dhcp).toBe(
      'DF_ERR_UNAVAILABLE: not allowed to bind UDP 67 on lo directly (ports below 1024 need privileges), and the helper at unix:/nonexistent/privhelper.sock could not bind it: ' +
        `cannot reach the helper at unix:/nonexistent/privhelper.sock: connect ENOENT /nonexistent/privhelper.sock. ${fix}`,
    );
    expect(tftp).toContain('TFTP cannot listen on UDP 127.0.0.1:69: not allowed to bind UDP 69 on lo directly');
    expect(tftp).toContain(fix);
  });
});

