import { describe, expect, it } from 'vitest';
import { buildWindowOptions, contentSecurityPolicy, withContentSecurityPolicy } from './window-security.ts';

describe('buildWindowOptions', () => {
  const opts = buildWindowOptions({ preload: '/app/dist/electron/preload.cjs', devTools: false });

  it('isolates the page: context isolation and sandbox on, Node integration off', () => {
    expect(opts.webPreferences.contextIsolation).toBe(true);
    expect(opts.webPreferences.sandbox).toBe(true);
    expect(opts.webPreferences.nodeIntegration).toBe(false);
    expect(opts.webPreferences.nodeIntegrationInWorker).toBe(false);
    expect(opts.webPreferences.nodeIntegrationInSubFrames).toBe(false);
  });

  it('keeps web security on and webviews, insecure content and experiments off', () => {
    expect(opts.webPreferences.webSecurity).toBe(true);
    expect(opts.webPreferences.allowRunningInsecureContent).toBe(false);
    expect(opts.webPreferences.webviewTag).toBe(false);
    expect(opts.webPreferences.experimentalFeatures).toBe(false);
    expect(opts.webPreferences.navigateOnDragDrop).toBe(false);
  });

  it('loads the given preload and gives DevTools only when asked (development)', () => {
    expect(opts.webPreferences.preload).toBe('/app/dist/electron/preload.cjs');
    expect(opts.webPreferences.devTools).toBe(false);
    expect(buildWindowOptions({ preload: '/p', devTools: true }).webPreferences.devTools).toBe(true);
  });

  it('waits for ready-to-show instead of flashing an empty window', () => {
    expect(opts.show).toBe(false);
    expect(opts.title).toBe('Dragonfly');
  });
});

describe('contentSecurityPolicy', () => {
  const csp = contentSecurityPolicy();
  const directives = new Map(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));

  it('is the exact strict policy', () => {
    expect(csp).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
        "manifest-src 'self'; worker-src 'self'; object-src 'none'; frame-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
  });

  it('allows no inline script, no eval and no remote origin anywhere', () => {
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('default-src')).toBe("'none'");
  });

  it('lets the UI reach its own API and event stream (connect-src self)', () => {
    expect(directives.get('connect-src')).toBe("'self'");
  });
});

describe('withContentSecurityPolicy', () => {
  it('replaces a CSP sent by the server, whatever the header case, and keeps other headers', () => {
    const out = withContentSecurityPolicy(
      { 'content-security-policy': ["default-src *"], 'Content-Type': ['text/html'] },
      "default-src 'none'",
    );
    expect(out).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': ["default-src 'none'"] });
  });

  it('adds the CSP when the response had no headers', () => {
    expect(withContentSecurityPolicy(undefined, 'x')).toEqual({ 'Content-Security-Policy': ['x'] });
  });
});
