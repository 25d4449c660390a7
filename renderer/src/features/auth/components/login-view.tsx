import { useState } from 'react';
import { useAppStore } from '../../../app/store.ts';
import { ApiError, describeError } from '../../../shared/api-client.ts';
import { loginWithPassword, loginWithToken } from '../auth-api.ts';

export function LoginView() {
  const signedIn = useAppStore((s) => s.signedIn);
  const authMessage = useAppStore((s) => s.authMessage);
  const [mode, setMode] = useState<'password' | 'token'>('password');
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      signedIn(mode === 'password' ? await loginWithPassword(username, password) : await loginWithToken(token));
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? 'Wrong user name or password.' : describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login-page">
      <form
        className="login-card"
        aria-labelledby="login-h"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <h1 id="login-h">
          <span className="logo" aria-hidden="true" /> Dragonfly
        </h1>
        <p className="muted">Sign in to the provisioning control plane.</p>
        {authMessage && <p className="banner banner-info">{authMessage}</p>}
        <div className="segmented" role="group" aria-label="Sign-in method">
          <button type="button" aria-pressed={mode === 'password'} onClick={() => setMode('password')}>
            Password
          </button>
          <button type="button" aria-pressed={mode === 'token'} onClick={() => setMode('token')}>
            API token
          </button>
        </div>
        {mode === 'password' ? (
          <>
            <label htmlFor="login-user">User</label>
            <input id="login-user" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required />
            <label htmlFor="login-password">Password</label>
            <input id="login-password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required autoFocus />
            <p className="muted small">The first admin password is printed once in the server log when Dragonfly starts for the first time.</p>
          </>
        ) : (
          <>
            <label htmlFor="login-token">API token</label>
            <input id="login-token" className="mono" value={token} onChange={(e) => setToken(e.target.value)} required autoComplete="off" />
            <p className="muted small">Create one with the CLI or in an existing session. It is kept in memory only.</p>
          </>
        )}
        {error && (
          <p className="text-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary block-button" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
