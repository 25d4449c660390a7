import { describe, expect, it } from 'vitest';
import { decideNavigation, isOpenableExternally, isSameOrigin, originOf } from './navigation.ts';

const ui = 'http://127.0.0.1:8080/';

describe('isSameOrigin', () => {
  it('allows any path, query or fragment on the control plane origin', () => {
    expect(isSameOrigin('http://127.0.0.1:8080/machines/amber-falcon-orbit?x=1#top', ui)).toBe(true);
    expect(isSameOrigin('http://127.0.0.1:8080', ui)).toBe(true);
  });

  it('refuses another port, scheme or host, even one that also means loopback', () => {
    expect(isSameOrigin('http://127.0.0.1:8081/', ui)).toBe(false);
    expect(isSameOrigin('https://127.0.0.1:8080/', ui)).toBe(false);
    expect(isSameOrigin('http://localhost:8080/', ui)).toBe(false);
    expect(isSameOrigin('http://127.0.0.1.evil.example:8080/', ui)).toBe(false);
  });

  it('refuses look-alikes built with credentials, and opaque-origin URLs', () => {
    expect(isSameOrigin('http://127.0.0.1:8080@evil.example/', ui)).toBe(false);
    expect(isSameOrigin('file:///etc/passwd', ui)).toBe(false);
    expect(isSameOrigin('data:text/html,<h1>hi</h1>', ui)).toBe(false);
    expect(isSameOrigin('about:blank', ui)).toBe(false);
    expect(isSameOrigin('javascript:alert(1)', ui)).toBe(false);
    expect(isSameOrigin('not a url', ui)).toBe(false);
  });

  it('never matches when the allowed origin itself is opaque', () => {
    expect(isSameOrigin('file:///a', 'file:///a')).toBe(false);
    expect(originOf('file:///a')).toBeUndefined();
  });
});

describe('decideNavigation', () => {
  it('allows the UI origin and denies the rest', () => {
    expect(decideNavigation('http://127.0.0.1:8080/settings', ui)).toEqual({ action: 'allow' });
    expect(decideNavigation('https://example.com/', ui)).toEqual({ action: 'deny' });
  });
});

describe('isOpenableExternally', () => {
  it('opens http and https links (a BMC web console) in the system browser', () => {
    expect(isOpenableExternally('https://10.0.0.5/')).toBe(true);
    expect(isOpenableExternally('http://bmc.rack1.example/console')).toBe(true);
  });

  it('refuses other schemes, embedded credentials and absurdly long URLs', () => {
    expect(isOpenableExternally('file:///etc/shadow')).toBe(false);
    expect(isOpenableExternally('smb://server/share')).toBe(false);
    expect(isOpenableExternally('javascript:alert(1)')).toBe(false);
    expect(isOpenableExternally('https://admin:secret@10.0.0.5/')).toBe(false);
    expect(isOpenableExternally(`https://a.example/${'x'.repeat(3000)}`)).toBe(false);
  });
});
