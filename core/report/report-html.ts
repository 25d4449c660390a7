import type { ReportCheck, ReportMachine, ReportTimelineStep, SignedReport } from '../contract/report.ts';

/** Every value in the page is escaped: names, labels and messages come from machines and operators. */
function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const seconds = (s?: number) => (s === undefined ? '' : s < 90 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`);
const GiB = 2 ** 30;

// Print: A4, each machine kept on one page where it fits, no screen-only colours needed to read it.
const CSS = `
body{font:13px/1.4 system-ui,sans-serif;color:#111;margin:2em}
h1{font-size:20px;margin:0 0 .2em}h2{font-size:16px;margin:1.2em 0 .3em;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%;margin:.3em 0}th,td{border:1px solid #bbb;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#eee}.fp{font-family:monospace;font-size:12px}.machine{break-inside:avoid;page-break-inside:avoid}
.state-Error{color:#a00;font-weight:bold}.state-Ready{color:#060;font-weight:bold}dl{display:grid;grid-template-columns:max-content 1fr;gap:0 1em;margin:0}dt{font-weight:bold}
@page{size:A4;margin:15mm}@media print{body{margin:0}a{color:inherit;text-decoration:none}}`;

/** The report as one self-contained page (no scripts, no external files) that prints well to PDF. */
export function reportHtml(doc: SignedReport): string {
  const r = doc.report;
  const counts = Object.entries(r.countsByState).map(([s, n]) => `${esc(s)}: ${n}`).join(', ') || 'no machines';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dragonfly site report ${esc(r.generatedAt)}</title><style>${CSS}</style></head><body>
<h1>Dragonfly site report</h1>
<dl><dt>Generated</dt><dd>${esc(r.generatedAt)}${r.generatedBy ? ` by ${esc(r.generatedBy)}` : ''} (control plane ${esc(r.controlPlaneVersion)})</dd>
<dt>Machines</dt><dd>${r.machines.length} (${counts})</dd>
<dt>Signed with</dt><dd>Ed25519 key <span class="fp" data-testid="key-fingerprint">${esc(doc.signature.keyFingerprint)}</span>; check the JSON with <code>dragonfly report verify report.json</code></dd></dl>
${r.machines.map(machineSection).join('\n')}
</body></html>
`;
}

function machineSection(m: ReportMachine): string {
  return `<section class="machine"><h2>${esc(m.displayName ?? m.name)}${m.displayName && m.displayName !== m.name ? ` <small>(${esc(m.name)})</small>` : ''} — <span class="state-${esc(m.state)}">${esc(m.state)}</span></h2>
${m.message ? `<p>${esc(m.message)}</p>` : ''}<dl>
<dt>Serial</dt><dd>${esc(m.serial ?? 'not reported')}</dd><dt>MACs</dt><dd>${m.macs.map(esc).join(', ')}</dd>
<dt>BMC</dt><dd>${m.bmc ? `${esc(m.bmc.protocol)} ${esc(m.bmc.address)}` : 'none'}</dd>
<dt>Labels</dt><dd>${Object.entries(m.labels).map(([k, v]) => `${esc(k)}=${esc(v)}`).join(', ') || 'none'}</dd>
<dt>Hardware</dt><dd>${factsLine(m.facts)}</dd>
<dt>Template</dt><dd>${esc(m.template ?? 'none assigned')}${m.imageDigests.map((d) => `<br><span class="fp">${esc(d)}</span>`).join('')}</dd>
<dt>Assigned</dt><dd>${m.workflow ? `${esc(m.workflow.assignedAt ?? '')} by ${esc(m.workflow.assignedBy ?? 'unknown')}; workflow ${esc(m.workflow.name)} ${esc(m.workflow.phase)} ${seconds(m.workflow.durationSeconds)}${m.workflow.error ? ` — ${esc(m.workflow.error)}` : ''}` : 'never'}</dd></dl>
${checksTable(m.checks)}${timelineTable(m.timeline)}</section>`;
}

function factsLine(facts: unknown): string {
  const f = facts as { cpu?: { model: string; threads: number }; memoryBytes?: number; disks?: Array<{ name: string; sizeBytes: number }>; firmware?: string; dmi?: { vendor?: string; product?: string } } | undefined;
  if (!f?.cpu) return 'not reported (never registered)';
  const disks = (f.disks ?? []).map((d) => `${esc(d.name)} ${(d.sizeBytes / GiB).toFixed(1)} GiB`).join(', ') || 'no disks';
  return `${esc([f.dmi?.vendor, f.dmi?.product].filter(Boolean).join(' '))} ${esc(f.cpu.model)} × ${f.cpu.threads} threads; ${((f.memoryBytes ?? 0) / GiB).toFixed(1)} GiB memory; ${disks}; ${esc(f.firmware)}`;
}

function checksTable(checks: ReportCheck[]): string {
  if (checks.length === 0) return '<p>Checks: none recorded.</p>';
  const rows = checks.map((c) => `<tr><td>${esc(c.name)}</td><td>${esc(c.result)}</td><td>${esc(c.startedAt ?? '')}</td><td>${seconds(c.durationSeconds)}</td><td>${esc(c.message ?? '')}</td></tr>`);
  return `<table><caption>What was checked and done</caption><tr><th>Check / action</th><th>Result</th><th>Started</th><th>Took</th><th>Message</th></tr>${rows.join('')}</table>`;
}

function timelineTable(steps: ReportTimelineStep[]): string {
  if (steps.length === 0) return '<p>Timeline: no boot steps recorded.</p>';
  const rows = steps.map((s) => `<tr><td>${esc(s.at)}</td><td>${esc(s.step)}</td><td>${esc(s.detail ?? '')}</td><td>${seconds(s.durationSeconds)}</td></tr>`);
  return `<table><caption>Timeline</caption><tr><th>At</th><th>Step</th><th>Detail</th><th>Until next</th></tr>${rows.join('')}</table>`;
}
