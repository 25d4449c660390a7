import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { configFromEnv, parseSecureBoot } from './config.ts';
import { secureBootDirOf, secureBootTftp, uefiChainFor } from './secure-boot.ts';

const dirs = { ipxe: '/opt/df/assets/ipxe', agentImage: '/opt/df/dist/agent-image' };
const client = { address: '10.77.0.130', port: 2001 };

describe('Secure Boot wiring', () => {
  it('auto gives UEFI x64 the shim chain; off and unset keep iPXE', () => {
    expect(uefiChainFor('auto')).toBe('shim');
    expect(uefiChainFor('off')).toBe('ipxe');
    expect(uefiChainFor(undefined)).toBe('ipxe');
  });
  it('a bad value is a clear error naming the choices', () => {
    expect(() => parseSecureBoot('on')).toThrow('--secure-boot "on" is not one of auto, off');
    expect(configFromEnv({ DRAGONFLY_SECURE_BOOT: 'auto' }).secureBoot).toBe('auto');
  });
  it('the signed binaries are looked for beside the iPXE directory (assets/ or resources/)', () => {
    expect(secureBootDirOf(dirs.ipxe)).toBe('/opt/df/assets/secureboot');
    expect(secureBootDirOf('/opt/Dragonfly/resources/ipxe')).toBe('/opt/Dragonfly/resources/secureboot');
  });
  it('off serves nothing extra over TFTP; auto asks the boot route, as the TFTP client', async () => {
    const app = Fastify();
    app.get<{ Params: { mac: string } }>('/boot/grub/:mac', async (req) => (req.params.mac.endsWith('01') ? `# ${req.params.mac} from ${req.ip}\n` : Promise.reject(new Error('no'))));
    await app.ready();
    expect(secureBootTftp({ secureBoot: 'off' }, dirs, () => app)).toBeUndefined();
    const resolve = secureBootTftp({ secureBoot: 'auto' }, dirs, () => app)!;
    const f = await resolve('grub/grub.cfg-52:54:00:00:00:01', client);
    expect(Buffer.from((await f!.open()) as Uint8Array).toString()).toBe('# 52:54:00:00:00:01 from 10.77.0.130\n');
    expect(await resolve('grub/grub.cfg-52:54:00:00:00:02', client)).toBeUndefined(); // a 500 is "not found", not a config
    await app.close();
  });
});
