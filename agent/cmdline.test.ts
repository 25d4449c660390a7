import { describe, expect, it } from 'vitest';
import { parseBootParams, splitCmdline } from './cmdline.ts';

const DEBIAN = 'BOOT_IMAGE=vmlinuz initrd=initramfs.img console=tty0 console=ttyS0,115200n8 quiet';

describe('kernel command line', () => {
  it('splits key=value words, bare words and quoted values', () => {
    const m = splitCmdline('ro quiet root=/dev/sda1 dragonfly.note="two words" console=ttyS0,115200\n');
    expect(m.get('ro')).toBe('');
    expect(m.get('root')).toBe('/dev/sda1');
    expect(m.get('dragonfly.note')).toBe('two words');
    expect(m.get('console')).toBe('ttyS0,115200');
  });

  it('reads the dragonfly.* parameters the boot script sets, normalising the MAC and URL', () => {
    const r = parseBootParams(`${DEBIAN} dragonfly.url=http://10.77.0.1:8080/ dragonfly.token=abc.DEF-123 dragonfly.mac=52:54:00:AB:CD:EF dragonfly.mode=imaging`);
    expect(r).toEqual({ ok: true, params: { url: 'http://10.77.0.1:8080', token: 'abc.DEF-123', mac: '52:54:00:ab:cd:ef', mode: 'imaging' } });
  });

  it('defaults the mode to discovery', () => {
    const r = parseBootParams('dragonfly.url=http://h:1 dragonfly.token=t dragonfly.mac=52-54-00-00-00-01');
    expect(r).toMatchObject({ ok: true, params: { mode: 'discovery', mac: '52:54:00:00:00:01' } });
  });

  it.each([
    ['dragonfly.token=t dragonfly.mac=52:54:00:00:00:01', /dragonfly.url missing/],
    ['dragonfly.url=ftp://x dragonfly.token=t dragonfly.mac=52:54:00:00:00:01', /not http/],
    ['dragonfly.url=http://h:1 dragonfly.mac=52:54:00:00:00:01', /dragonfly.token missing/],
    ['dragonfly.url=http://h:1 dragonfly.token=t dragonfly.mac=nope', /dragonfly.mac missing or not a MAC: "nope"/],
    ['dragonfly.url=http://h:1 dragonfly.token=t dragonfly.mac=52:54:00:00:00:01 dragonfly.mode=install', /dragonfly.mode "install"/],
  ])('refuses %s, naming the parameter', (line, why) => {
    const r = parseBootParams(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(why);
  });

  it('needs only the URL in snapshot mode (fixture recording)', () => {
    expect(parseBootParams('dragonfly.url=http://h:1 dragonfly.mode=snapshot')).toMatchObject({ ok: true, params: { mode: 'snapshot' } });
  });
});
