import { describe, expect, it } from 'vitest';
import { isInside, normalizeRequestPath } from './path-jail.ts';

describe('normalizeRequestPath', () => {
  it.each([
    ['ipxe.efi', 'ipxe.efi'],
    ['/ipxe.efi', 'ipxe.efi'],
    ['//boot/./grub//x.efi', 'boot/grub/x.efi'],
    ['pxelinux.cfg/01-52-54-00-12-34-56', 'pxelinux.cfg/01-52-54-00-12-34-56'],
    ['snapshots/52:54:00:12:34:56.ipxe', 'snapshots/52:54:00:12:34:56.ipxe'],
  ])('accepts %j as %j', (name, path) => {
    expect(normalizeRequestPath(name, false)).toEqual({ ok: true, path });
  });

  it.each([
    ['../etc/passwd', 2],
    ['a/../../b', 2],
    ['..\\x', 2],
    ['%2e%2e/x', 2],
    ['a%2fb', 2],
    ['a\u0000b', 2],
    ['a\nb', 2],
    ['\xc3\x28', 1], // invalid UTF-8 (as the codec's latin1 string)
    ['/', 1],
    ['', 1],
  ])('refuses %j with code %i', (name, code) => {
    expect(normalizeRequestPath(name, false)).toMatchObject({ ok: false, code });
  });

  it('decodes UTF-8 names from the latin1 wire string', () => {
    expect(normalizeRequestPath('caf\xc3\xa9.efi', false)).toEqual({ ok: true, path: 'café.efi' });
  });

  it('refuses a colon on Windows (drive letters, NTFS streams)', () => {
    expect(normalizeRequestPath('C:/Windows/win.ini', true)).toMatchObject({ ok: false, code: 2 });
    expect(normalizeRequestPath('boot.efi:stream', true)).toMatchObject({ ok: false, code: 2 });
  });
});

describe('isInside', () => {
  it('does not mistake a sibling with a common prefix for the root', () => {
    expect(isInside('/srv/tftp', '/srv/tftp/a')).toBe(true);
    expect(isInside('/srv/tftp', '/srv/tftp-evil/a')).toBe(false);
    expect(isInside('/srv/tftp', '/srv')).toBe(false);
  });
});
