import { useEffect } from 'react';
import { useAppStore } from '../../../app/store.ts';
import type { Toast } from '../status-slice.ts';

const INFO_MS = 8000;

function ToastItem({ t }: { t: Toast }) {
  const dismiss = useAppStore((s) => s.dismissToast);
  // Errors stay until dismissed: the operator may be away from the cart.
  useEffect(() => {
    if (t.level === 'error') return;
    const id = setTimeout(() => dismiss(t.id), INFO_MS);
    return () => clearTimeout(id);
  }, [t, dismiss]);
  return (
    <li className={`toast toast-${t.level}`} role={t.level === 'error' ? 'alert' : 'status'}>
      <div>
        <strong>{t.title}</strong>
        {t.body && <div className="small">{t.body}</div>}
      </div>
      <button type="button" className="icon-button" aria-label={`Dismiss: ${t.title}`} onClick={() => dismiss(t.id)}>
        ×
      </button>
    </li>
  );
}

export function Toasts() {
  const toasts = useAppStore((s) => s.toasts);
  return (
    <ol className="toasts" aria-label="Notifications">
      {toasts.map((t) => (
        <ToastItem key={t.id} t={t} />
      ))}
    </ol>
  );
}
