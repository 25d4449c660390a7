import { useState } from 'react';
import type { Hardware } from '../../../../../core/model/hardware.ts';
import { useAppStore } from '../../../app/store.ts';
import { describeError } from '../../../shared/api-client.ts';
import { parseTags, patchTags } from '../machine-api.ts';

export function MachineTags({ hw }: { hw: Hardware }) {
  const current = (hw.spec.tags ?? []).join(', ');
  const [text, setText] = useState(current);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const upsert = useAppStore((s) => s.upsertHardware);
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      upsert(await patchTags(hw.metadata.name, parseTags(text)));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  const labels = Object.entries(hw.metadata.labels ?? {});
  return (
    <section aria-labelledby="tags-h">
      <h3 id="tags-h">Tags</h3>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <label htmlFor="tags-input" className="visually-hidden">
          Tags, separated by commas or spaces
        </label>
        <input id="tags-input" value={text} onChange={(e) => setText(e.target.value)} placeholder="rack-a12, gpu" />
        <button type="submit" disabled={busy || text === current}>
          {busy ? 'Saving…' : 'Save tags'}
        </button>
      </form>
      {error && (
        <p className="text-error" role="alert">
          {error}
        </p>
      )}
      {labels.length > 0 && (
        <p className="small">
          Labels:{' '}
          {labels.map(([k, v]) => (
            <span key={k} className="tag">
              {k}={v}
            </span>
          ))}
        </p>
      )}
    </section>
  );
}
