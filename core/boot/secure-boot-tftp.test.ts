import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPeers } from '../testing/peers.ts';
import { createTftpServer, type TftpServer } from '../tftp/server.ts';
import { renderGrubEntryConfig } from './grub.ts';
import { secureBootTftpResolver } from './secure-boot-tftp.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'df-sbtftp-'));
const signedDir = join(dir, 'secureboot');
const agentDir = join(dir, 'agent');
const rootDir = join(dir, 'ipxe');
for (const d of [signedDir, agentDir, rootDir]) mkdirSync(d);
writeFileSync(join(signedDir, 'shimx64.efi'), 'SHIM');
writeFileSync(join(signedDir, 'grubx64.efi'), 'GRUB');
writeFileSync(join(agentDir, 'vmlinuz'), Buffer.alloc(70_000, 7)); // more than 65535 bytes: several windows
writeFileSync(join(agentDir, 'initramfs.img'), 'INITRD');
writeFileSync(join(rootDir, 'snponly.efi'), 'IPXE');
writeFileSync(join(signedDir, 'shimaa64.efi'), 'SHIM-AA64');
writeFileSync(join(signedDir, 'grubaa64.efi'), 'GRUB-AA64');
mkdirSync(`${agentDir}-arm64`);
writeFileSync(join(`${agentDir}-arm64`, 'vmlinuz'), 'ARM64-KERNEL');
writeFileSync(join(`${agentDir}-arm64`, 'initramfs.img'), 'ARM64-INITRD');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const asked: Array<{ mac: string; ip: string; arch?: string }> = [];
const resolve = secureBootTftpResolver({
  signedDir,
  agentImageDir: agentDir,
  grubConfig: async (mac, ip, arch) => {
    asked.push({ mac, ip, ...(arch === 'amd64' ? {} : { arch }) });
    return mac === '52:54:00:00:00:01' ? `# config for ${mac}${arch === 'amd64' ? '' : ` (${arch})`}\n` : undefined;
  },
});
const client = { address: '10.77.0.100', port: 2000 };
const read = async (path: string) => {
  const f = await resolve(path, client);
  if (!f) return undefined;
  const src = await f.open();
  return Buffer.from(src as Uint8Array).toString();
};

describe('secureBootTftpResolver', () => {
  it('serves the entry configuration, and the per-MAC one from the boot endpoint with the client address', async () => {
    expect(await read('grub/grub.cfg')).toBe(renderGrubEntryConfig());
    expect(await read('grub/grub.cfg-52:54:00:00:00:01')).toBe('# config for 52:54:00:00:00:01\n');
    expect(asked).toEqual([{ mac: '52:54:00:00:00:01', ip: '10.77.0.100' }]);
  });
  it('a MAC the endpoint has no answer for, or a name that is not a MAC, is not found (and not asked)', async () => {
    asked.length = 0;
    expect(await resolve('grub/grub.cfg-52:54:00:00:00:02', client)).toBeUndefined();
    expect(await resolve('grub/grub.cfg-../../etc/passwd', client)).toBeUndefined();
    expect(asked).toEqual([{ mac: '52:54:00:00:00:02', ip: '10.77.0.100' }]);
  });
  it('serves shim, GRUB and the agent files under the names the chain asks for; anything else falls through', async () => {
    expect((await resolve('shimx64.efi', client))?.size).toBe(4);
    expect((await resolve('grubx64.efi', client))?.size).toBe(4);
    expect((await resolve('agent/vmlinuz', client))?.size).toBe(70_000);
    expect((await resolve('agent/initramfs.img', client))?.size).toBe(6);
    expect(await resolve('snponly.efi', client)).toBeUndefined();
  });
  it('serves the arm64 chain: shimaa64/grubaa64, the arm64 per-MAC configuration and the arm64 agent image', async () => {
    asked.length = 0;
    expect((await resolve('shimaa64.efi', client))?.size).toBe('SHIM-AA64'.length);
    expect((await resolve('grubaa64.efi', client))?.size).toBe('GRUB-AA64'.length);
    expect((await resolve('agent/arm64/vmlinuz', client))?.size).toBe('ARM64-KERNEL'.length);
    expect((await resolve('agent/arm64/initramfs.img', client))?.size).toBe('ARM64-INITRD'.length);
    expect(await read('grub/arm64/grub.cfg-52:54:00:00:00:01')).toBe('# config for 52:54:00:00:00:01 (arm64)\n');
    expect(asked).toEqual([{ mac: '52:54:00:00:00:01', ip: '10.77.0.100', arch: 'arm64' }]);
    expect(await resolve('grub/arm64/grub.cfg-../x', client)).toBeUndefined();
  });
});

describeWithPeers(['curl'], 'the Secure Boot chain over a real TFTP server', () => {
  let tftp: TftpServer;
  beforeAll(async () => {
    tftp = await createTftpServer({ address: '127.0.0.1', port: 0, root: rootDir, resolve });
  });
  afterAll(() => tftp?.close());
  const get = async (name: string) => {
    const file = join(dir, `got-${name.replace(/\W/g, '_')}`);
    await run('curl', ['-s', '-S', `tftp://127.0.0.1:${tftp.address.port}/${name}`, '-o', file], { timeout: 20_000 });
    return readFileSync(file);
  };

  it('curl fetches the chain files, the per-MAC configuration and still the iPXE root', async () => {
    expect((await get('shimx64.efi')).toString()).toBe('SHIM');
    expect((await get('agent/vmlinuz')).equals(Buffer.alloc(70_000, 7))).toBe(true);
    expect((await get('shimaa64.efi')).toString()).toBe('SHIM-AA64');
    expect((await get('agent/arm64/vmlinuz')).toString()).toBe('ARM64-KERNEL');
    expect((await get('grub/grub.cfg-52:54:00:00:00:01')).toString()).toBe('# config for 52:54:00:00:00:01\n');
    expect((await get('snponly.efi')).toString()).toBe('IPXE');
  });
  it('a MAC without a configuration gets TFTP "file not found"', async () => {
    const r = await get('grub/grub.cfg-52:54:00:00:00:09').catch((e: { code: number }) => e);
    expect((r as { code: number }).code).toBe(68); // CURLE_TFTP_NOTFOUND
  });
});
