import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { configFromEnv, parseSecureBoot } from './config.ts';
import { secureBootDirOf, secureBootTftp, uefiChainFor } from './secure-boot.ts';

const dirs = { ipxe: '/opt/df/assets/ipxe', agentImage: '/opt/df/dist/agent-image' };
const client = { address: '10.77.0.130', port: 2001 };

describe('Secure Boot wiring', () => {
  it('auto (the default) gives iPXE only to a machine known to have Secure Boot off; on and off are for all', () => {
    for (const mode of ['auto', undefined] as const) {
      expect(uefiChainFor(mode, false)).toBe('ipxe');
      expect(uefiChainFor(mode, true)).toBe('shim');
      expect(uefiChainFor(mode, undefined)).toBe('shim'); // never registered, or fact unknown
    }
    for (const fact of [true, false, undefined]) {
      expect(uefiChainFor('on', fact)).toBe('shim');
      expect(uefiChainFor('off', fact)).toBe('ipxe');
      expect(uefiChainFor('auto', fact, 'proxy')).toBe('ipxe'); // GRUB never reaches us behind proxyDHCP
    }
  });
  it('a bad value is a clear error naming the choices', () => {
    expect(() => parseSecureBoot('yes')).toThrow('--secure-boot "yes" is not one of auto, on, off');
    expect(parseSecureBoot('on')).toBe('on');
    expect(configFromEnv({ DRAGONFLY_SECURE_BOOT: 'off' }).secureBoot).toBe('off');
    expect(configFromEnv({}).secureBoot).toBeUndefined(); // unset is auto (uefiChainFor)
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
    expect(secureBootTftp({}, dirs, () => app)).toBeDefined(); // unset is auto: unknown machines get shim
    const resolve = secureBootTftp({ secureBoot: 'auto' }, dirs, () => app)!;
    const f = await resolve('grub/grub.cfg-52:54:00:00:00:01', client);
    expect(Buffer.from((await f!.open()) as Uint8Array).toString()).toBe('# 52:54:00:00:00:01 from 10.77.0.130\n');
    expect(await resolve('grub/grub.cfg-52:54:00:00:00:02', client)).toBeUndefined(); // a 500 is "not found", not a config
    await app.close();
  });
});
