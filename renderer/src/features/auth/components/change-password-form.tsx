import { useActionState, useState } from 'react';
import { ApiError, describeError } from '../../../shared/api-client.ts';
import { changePassword } from '../auth-api.ts';

type Result = { ok: boolean; text: string } | null;

const MIN_LENGTH = 12; // the server's rule (AuthService.changePassword); checked here only to answer sooner

/** Change the admin password; the first-start password file is deleted by the server when it succeeds. */
export function ChangePasswordForm() {
  const [fields, setFields] = useState({ current: '', next: '', repeat: '' });
  const [result, submit, pending] = useActionState<Result>(async () => {
    if (fields.next.length < MIN_LENGTH) return { ok: false, text: `The new password must be at least ${MIN_LENGTH} characters.` };
    if (fields.next !== fields.repeat) return { ok: false, text: 'The two new passwords differ.' };
    try {
      await changePassword(fields.current, fields.next);
      setFields({ current: '', next: '', repeat: '' });
      return { ok: true, text: 'Password changed. The first-start password file was deleted.' };
    } catch (e) {
      return { ok: false, text: e instanceof ApiError && e.status === 403 ? 'The current password is wrong.' : describeError(e) };
    }
  }, null);
  const field = (id: keyof typeof fields, label: string, autoComplete: string) => (
    <>
      <label htmlFor={`pw-${id}`}>{label}</label>
      <input id={`pw-${id}`} type="password" autoComplete={autoComplete} value={fields[id]} onChange={(e) => setFields({ ...fields, [id]: e.target.value })} required />
    </>
  );
  return (
    <form className="settings-view" aria-labelledby="pw-h" action={submit}>
      <h2 id="pw-h">Admin password</h2>
      <p className="muted small">Needed to sign in from a browser. The password printed at the first start stays in the data directory until you change it here.</p>
      <div className="form-grid">
        {field('current', 'Current password', 'current-password')}
        {field('next', 'New password', 'new-password')}
        {field('repeat', 'Repeat new password', 'new-password')}
      </div>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={pending}>
          {pending ? 'Changing…' : 'Change password'}
        </button>
      </div>
      {result && (
        <p className={result.ok ? 'text-ok' : 'text-error'} role={result.ok ? 'status' : 'alert'}>
          {result.text}
        </p>
      )}
    </form>
  );
}
