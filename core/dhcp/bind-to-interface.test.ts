import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { interfaceIndex } from './bind-to-interface.ts';
import { bindError } from './sockets.ts';
import { itWithPeers } from '../testing/peers.ts';
import { repoRoot } from './testing/lab.ts';

describe('binding DHCP sockets', () => {
  it('names the missing interface', () => {
    expect(() => interfaceIndex('dfd-nope0')).toThrow('network interface "dfd-nope0" not found');
  });

  it('finds the loopback index', () => {
    expect(interfaceIndex('lo')).toBe(1);
  });

  it('explains EACCES with the helper and root as the fixes', () => {
    const e = bindError(Object.assign(new Error('bind EACCES'), { code: 'EACCES' }), 67, 'eth1');
    expect(e.code).toBe('DF_ERR_FORBIDDEN');
    expect(e.message).toContain('not allowed to bind UDP port 67 on eth1');
    expect(e.message).toContain('sudo dragonfly-privhelper --listen /run/dragonfly-privhelper.sock --owner');
    expect(e.message).toContain('--priv-helper unix:/run/dragonfly-privhelper.sock');
    expect(e.message).not.toContain('setcap');
  });

  itWithPeers(['root'], 'an unprivileged process gets that message from start() (root switches to nobody)', () => {
    const script = `
      import { createDhcpServer } from './core/dhcp/server.ts';
      const s = createDhcpServer({ mode: 'proxy', serverIp: '127.0.0.1', subnetMask: '255.0.0.0', ports: { server: 67, pxe: 4011 } });
      try { await s.start(); console.log('BOUND'); await s.close(); } catch (e) { console.log(e.code + ': ' + e.message); }
    `;
    const out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', 'node', '--no-deprecation', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, HOME: '/tmp' },
    });
    expect(out.trim()).toMatch(/^DF_ERR_FORBIDDEN: not allowed to bind UDP port 67: ports below 1024 need privileges/);
  });
});
