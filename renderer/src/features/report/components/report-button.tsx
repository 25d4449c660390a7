/**
 * The site report: the control plane renders and signs it (GET /api/v1/report/html), so the
 * page people print and the JSON `dragonfly report verify` checks come from one place.
 */
export function ReportButton() {
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
