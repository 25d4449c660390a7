import { useAppStore } from '../../../app/store.ts';

/** Shown while the event stream is down; EventSource retries by itself and the banner clears. */
export function ConnectionBanner() {
  const connected = useAppStore((s) => s.connected);
  if (connected !== false) return null;
  return (
    <div className="banner banner-warning" role="alert">
      Connection to the control plane lost — retrying. What you see may be out of date.
    </div>
  );
}
