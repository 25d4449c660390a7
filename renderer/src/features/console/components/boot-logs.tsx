import { useEffect, useState } from 'react';
import { describeError } from '../../../shared/api-client.ts';
import { formatBytes, formatDateTime } from '../../../shared/format.ts';
import { bootLogText, listBootLogs, type BootLogInfo } from '../boot-log-api.ts';

/** What the console said during recent provisioning boots, newest first (shown beside the boot timeline). */
export function BootLogs({ machine }: { machine: string }) {
  const [refreshKey, setRefreshKey] = useState(0);
  const [logs, setLogs] = useState<BootLogInfo[] | null>(null);
  const [shown, setShown] = useState<{ boot: string; text: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    listBootLogs(machine).then(setLogs, (e) => setError(describeError(e)));
  }, [machine, refreshKey]);
  const show = async (boot: string) => {
    try {
      setShown({ boot, text: await bootLogText(machine, boot) });
    } catch (e) {
      setError(describeError(e));
    }
  };
  const refresh = <button type="button" className="link-button" onClick={() => setRefreshKey(refreshKey + 1)}>Refresh</button>;
  if (error) return <p className="small error">{error} {refresh}</p>;
  if (!logs || logs.length === 0) return <p className="muted small">No boot console recorded yet: it is recorded while the machine provisions. {refresh}</p>;
  return (
    <div className="boot-logs">
      {refresh}
      <ul aria-label="Boot console logs">
        {logs.map((l) => (
          <li key={l.boot}>
            <button type="button" className="link-button" onClick={() => void show(l.boot)}>{l.boot}</button>
            <span className="small muted"> {formatDateTime(l.modified)} · {formatBytes(l.bytes)}</span>
          </li>
        ))}
      </ul>
      {shown && <pre className="boot-log-text" aria-label={`Console of boot ${shown.boot}`}>{shown.text}</pre>}
    </div>
  );
}
