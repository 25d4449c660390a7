/**
 * Where the window may go. The UI is one origin (the control plane, http://127.0.0.1:PORT);
 * anything else a link, a redirect or a script tries to open stays out of the window.
 */

/** The origin of a URL, or undefined for something that is not an absolute URL. */
export function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    // file:, data:, about: ... have the opaque origin "null": never a match for anything.
    return u.origin === 'null' ? undefined : u.origin;
  } catch {
    return undefined;
  }
}

/** True only when `url` has exactly the control plane's origin (scheme, host and port). */
export function isSameOrigin(url: string, allowedOrigin: string): boolean {
  const origin = originOf(url);
  return origin !== undefined && origin === originOf(allowedOrigin);
}

/**
 * Links the operator may open in the system browser (a BMC's web console, documentation):
 * http or https only, and no user:password@ (which would hand a credential to the browser).
 */
export function isOpenableExternally(url: string): boolean {
  if (url.length > 2048) return false;
  try {
    const u = new URL(url);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === '' && u.hostname !== '';
  } catch {
    return false;
  }
}

export type NavigationDecision = { action: 'allow' } | { action: 'deny' };

/** will-navigate / will-redirect: same origin stays, everything else is stopped. */
export function decideNavigation(url: string, allowedOrigin: string): NavigationDecision {
  return isSameOrigin(url, allowedOrigin) ? { action: 'allow' } : { action: 'deny' };
}
