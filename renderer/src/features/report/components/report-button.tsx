import { useState } from 'react';
import { apiFile, apiToken, describeError } from '../../../shared/api-client.ts';

/**
 * The site report: the control plane renders and signs it (GET /api/v1/report/html), so the
 * page people print and the JSON `dragonfly report verify` checks come from one place. With a
 * cookie session both are links (the page opens in a tab to print); with a bearer token (the
 * desktop app, a pasted API token) a link would arrive unauthenticated, so both are fetched and
 * saved as files (the desktop app opens no second window).
 */
export function ReportButton() {
  const [error, setError] = useState<string>();
  if (!apiToken()) {
    return (
      <span className="report-links">
        <a className="button quiet" href="/api/v1/report/html" target="_blank" rel="noopener">
          Site report
        </a>
        <a className="button quiet" href="/api/v1/report" download="dragonfly-report.json">
          Signed JSON
        </a>
      </span>
    );
  }
  const save = (path: string, file: string) => () => {
    setError(undefined);
    apiFile(path)
      .then((blob) => saveBlob(blob, file))
      .catch((e: unknown) => setError(describeError(e)));
  };
  return (
    <span className="report-links">
      <button type="button" className="button quiet" onClick={save('/api/v1/report/html', 'dragonfly-report.html')}>
        Site report
      </button>
      <button type="button" className="button quiet" onClick={save('/api/v1/report', 'dragonfly-report.json')}>
        Signed JSON
      </button>
      {error && <span role="alert">{error}</span>}
    </span>
  );
}

function saveBlob(blob: Blob, file: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = file;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
