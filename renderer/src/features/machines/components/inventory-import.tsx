import { useState, type ChangeEvent } from 'react';
import { api, ApiError, describeError } from '../../../shared/api-client.ts';

interface Outcome {
  ok: boolean;
  lines: string[];
}

/** Upload of the technician's CSV inventory: all rows are declared, or none and every bad row is listed. */
export function InventoryImport() {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>();
  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = ''; // the same file may be chosen again after it is fixed
    if (!file) return;
    setBusy(true);
    try {
      const res = await api<{ created: Array<{ line: number; name: string }> }>('POST', '/api/v1/inventory/import', undefined, { raw: await file.text(), contentType: 'text/csv' });
      setOutcome({ ok: true, lines: [`${res.created.length} machines declared from ${file.name}: ${res.created.map((m) => m.name).join(', ')}`] });
    } catch (err) {
      setOutcome({ ok: false, lines: problemLines(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="inventory-import">
      <label className="button quiet">
        {busy ? 'Importing…' : 'Import inventory (CSV)'}
        <input type="file" accept=".csv,text/csv" className="visually-hidden" onChange={(e) => void onFile(e)} disabled={busy} aria-label="Import inventory CSV" />
      </label>
      {outcome && (
        <ul className={outcome.ok ? 'text-ok inventory-result' : 'text-error inventory-result'} role={outcome.ok ? 'status' : 'alert'} aria-label="Inventory import result">
          {outcome.lines.map((l) => (
            <li key={l}>{l}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function problemLines(err: unknown): string[] {
  const problems = (err instanceof ApiError ? (err.details as { problems?: Array<{ line: number; message: string }> } | undefined)?.problems : undefined) ?? [];
  if (!problems.length) return [describeError(err)];
  return ['Nothing was imported. Fix these rows and upload again:', ...problems.map((p) => `line ${p.line}: ${p.message}`)];
}
