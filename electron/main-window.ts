/** The one window: the control plane's UI, locked to its origin. */
import type { Logger } from '../core/shared/logger.ts';
import type { BrowserWindowLike, ElectronMain, SessionLike } from './electron-api.ts';
import { decideNavigation, isOpenableExternally, isSameOrigin } from './navigation.ts';
import { buildWindowOptions, contentSecurityPolicy, withContentSecurityPolicy } from './window-security.ts';

/**
 * Web permissions the page may use. Only writing to the clipboard (the UI's copy buttons for
 * MACs, tokens, YAML), and only for our own origin; camera, geolocation, notifications
 * (the main process notifies natively), and the rest are refused.
 */
export function permissionAllowed(permission: string, requestingUrl: string | undefined, origin: string): boolean {
  return permission === 'clipboard-sanitized-write' && requestingUrl !== undefined && isSameOrigin(requestingUrl, origin);
}

const hardened = new WeakSet<SessionLike>();

/** CSP on every response, permissions denied; once per session however many windows it serves. */
export function hardenSession(session: SessionLike, origin: string): void {
  if (hardened.has(session)) return;
  hardened.add(session);
  const csp = contentSecurityPolicy();
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders, csp) });
  });
  session.setPermissionRequestHandler((_wc, permission, callback, details) => callback(permissionAllowed(permission, details?.requestingUrl, origin)));
  session.setPermissionCheckHandler((_wc, permission, requestingOrigin) => permissionAllowed(permission, requestingOrigin, origin));
}

export interface MainWindowOptions {
  origin: string;
  preload: string;
  icon?: string;
  devTools: boolean;
  /** The local operator's session, set as the df_session cookie before the page loads. */
  session: { token: string; expiresAt: string };
  log: Logger;
}

/** Creates the window at once (so a second click focuses it); `loaded` settles when the UI is in. */
export function createMainWindow(electron: ElectronMain, o: MainWindowOptions): { win: BrowserWindowLike; loaded: Promise<void> } {
  const win = new electron.BrowserWindow(buildWindowOptions({ preload: o.preload, icon: o.icon, devTools: o.devTools }));
  const wc = win.webContents;
  hardenSession(wc.session, o.origin);
  wc.setWindowOpenHandler(({ url }) => {
    // New windows never open inside the app; an http(s) link elsewhere (a BMC's web
    // console) goes to the system browser instead.
    if (!isSameOrigin(url, o.origin) && isOpenableExternally(url)) void electron.shell.openExternal(url);
    return { action: 'deny' };
  });
  const guard = (event: { preventDefault(): void }, url: string) => {
    if (decideNavigation(url, o.origin).action === 'deny') {
      event.preventDefault();
      o.log.warn({ url: safeForLog(url) }, 'blocked navigation away from the control plane');
    }
  };
  wc.on('will-navigate', guard);
  wc.on('will-redirect', guard);
  wc.on('will-attach-webview', (event) => event.preventDefault());
  wc.on('render-process-gone', (_e, details) => o.log.error({ reason: details.reason }, 'the window renderer process went away'));
  win.once('ready-to-show', () => win.show());
  const loaded = setSessionCookie(wc.session, o.origin, o.session).then(() => win.loadURL(`${o.origin}/`));
  return { win, loaded };
}

/** df_session: HttpOnly, SameSite=Strict, as the API sets it on login (API.md, Auth). */
export function setSessionCookie(session: SessionLike, origin: string, s: { token: string; expiresAt: string }): Promise<void> {
  return session.cookies.set({
    url: origin,
    name: 'df_session',
    value: s.token,
    httpOnly: true,
    sameSite: 'strict',
    expirationDate: Math.floor(Date.parse(s.expiresAt) / 1000),
  });
}

function safeForLog(url: string): string {
  return url.length > 200 ? `${url.slice(0, 200)}…` : url;
}
