import { api, configureApi } from '../../shared/api-client.ts';
import { desktopBridge } from '../../shared/electron-bridge.ts';
import type { Session } from './auth-slice.ts';

export async function whoami(): Promise<Session | null> {
  try {
    const r = await api<{ user: string; via: 'session' | 'token' }>('GET', '/api/v1/auth/whoami');
    return { user: r.user, via: r.via };
  } catch {
    return null;
  }
}

/** Electron first (no form), then an existing cookie session, else null (show the form). */
export async function restoreSession(): Promise<Session | null> {
  const bridge = desktopBridge();
  if (bridge?.getSession) {
    const s = await bridge.getSession();
    configureApi({ token: s.token });
    return { user: s.user ?? 'admin', via: 'electron' };
  }
  return whoami();
}

export async function loginWithPassword(username: string, password: string): Promise<Session> {
  await api('POST', '/api/v1/auth/login', { username, password });
  return (await whoami()) ?? { user: username, via: 'session' };
}

/** A pasted API token is kept in memory only (never in storage) and checked before use. */
export async function loginWithToken(token: string): Promise<Session> {
  configureApi({ token: token.trim() });
  const s = await whoami();
  if (!s) {
    configureApi({ token: undefined });
    throw new Error('That token was not accepted: it may be expired, revoked or mistyped.');
  }
  return s;
}

export async function logout(): Promise<void> {
  try {
    await api('POST', '/api/v1/auth/logout');
  } finally {
    configureApi({ token: undefined });
  }
}

/** The server checks the current password (and counts wrong ones like wrong logins). */
export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  await api('POST', '/api/v1/auth/password', { currentPassword, newPassword });
}
