import type { SliceCreator } from '../../shared/slice.ts';

export interface Session {
  user: string;
  via: 'session' | 'token' | 'electron';
}

export type AuthPhase = 'checking' | 'signed-out' | 'signed-in';

export interface AuthSlice {
  authPhase: AuthPhase;
  session: Session | null;
  /** Shown above the sign-in form, e.g. "Your session expired". */
  authMessage: string | null;
  signedIn: (session: Session) => void;
  signedOut: (message?: string) => void;
}

export const createAuthSlice: SliceCreator<AuthSlice> = (set) => ({
  authPhase: 'checking',
  session: null,
  authMessage: null,
  signedIn: (session) => set({ authPhase: 'signed-in', session, authMessage: null }),
  signedOut: (message) => set({ authPhase: 'signed-out', session: null, authMessage: message ?? null }),
});
