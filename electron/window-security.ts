import type { BrowserWindowOptionsLike } from './electron-api.ts';

/**
 * The main window's options and content security policy, after Electron's security checklist
 * (https://www.electronjs.org/docs/latest/tutorial/security): the page is a web page served by
 * the control plane and gets no more power than one. The only bridge is the preload's named
 * functions (preload.ts), and every message over it is checked in ipc.ts.
 */
export interface WindowOptionsInput {
  /** Absolute path of the bundled preload (dist/electron/preload.cjs). */
  preload: string;
  /** Window icon (Linux/Windows title bar); undefined keeps Electron's default. */
  icon?: string;
  /** DevTools only in development builds: a packaged app gives a passer-by no console. */
  devTools: boolean;
}

export function buildWindowOptions({ preload, icon, devTools }: WindowOptionsInput): BrowserWindowOptionsLike {
  return {
    width: 1280,
    height: 800,
    minWidth: 900,
    minHeight: 560,
    title: 'Dragonfly',
    show: false, // shown on ready-to-show, so no white flash
    icon,
    backgroundColor: '#101418',
    webPreferences: {
      preload,
      contextIsolation: true, // the preload's world is not the page's world
      sandbox: true, // the renderer is an OS-sandboxed Chromium process; preload gets only a tiny require
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true, // same-origin policy stays on
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false, // a file dropped on the window must not replace the UI
      spellcheck: false,
      devTools,
    },
  };
}

/**
 * The page's CSP. Everything comes from the control plane's own origin: scripts, styles,
 * fetch and the server-sent event stream ('self' covers all of them). No inline script, no
 * eval, no plugins, no framing, no <base> rewriting; images may also be data: URLs (icons).
 */
export function contentSecurityPolicy(): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "frame-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

/**
 * Response headers with our CSP in force: any CSP the server sent is replaced (header names
 * are case-insensitive, so a lower-case copy must not survive beside ours).
 */
export function withContentSecurityPolicy(headers: Record<string, string[]> | undefined, csp: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') out[name] = value;
  }
  out['Content-Security-Policy'] = [csp];
  return out;
}
