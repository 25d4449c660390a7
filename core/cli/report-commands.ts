import type { Command } from 'commander';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { SignedReport } from '../contract/report.ts';
import { reportHtml } from '../report/report-html.ts';
import { verifyReportText } from '../report/signed-report.ts';
import { invalid } from '../shared/errors.ts';
import type { ApiClient } from './client.ts';

/** `dragonfly report`: the signed site report from the control plane, and its offline check. */
export function addReportCommands(program: Command, out: (s: string) => void, client: (cmd: Command) => ApiClient): void {
  const report = program
    .command('report')
    .description('write the signed site report (report.json + report.html, which prints to PDF) to --out DIR')
    .option('--out <dir>', 'directory to write into (default: the current directory)')
    .action(async (opts: { out?: string }, cmd: Command) => {
      const text = await client(cmd).request<string>('GET', '/api/v1/report', undefined, undefined, 'text');
      // Checked before it is written: a report that does not verify here would not verify for the customer either.
      const { report: doc, fingerprint } = verifyReportText(text);
      const dir = resolve(opts.out ?? '.');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'report.json'), text);
      await writeFile(join(dir, 'report.html'), reportHtml(doc));
      out(`report of ${machinesText(doc.report.machines.length)} written to ${join(dir, 'report.json')} and report.html; signed by key ${fingerprint}`);
    });
  report
    .command('verify <file>')
    .description('check a report.json signature; prints the signing key fingerprint (compare it with the one you were given)')
    .action(async (file: string) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        throw invalid(`cannot read ${file}: ${(e as Error).message}`);
      }
      const { report: doc, fingerprint } = verifyReportText(text);
      out(summary(doc, fingerprint));
    });
}

function summary(doc: SignedReport, fingerprint: string): string {
  const r = doc.report;
  return `signature OK: Ed25519 key ${fingerprint}\nreport generated ${r.generatedAt}${r.generatedBy ? ` by ${r.generatedBy}` : ''}, ${machinesText(r.machines.length)}`;
}

const machinesText = (n: number) => `${n} machine${n === 1 ? '' : 's'}`;
