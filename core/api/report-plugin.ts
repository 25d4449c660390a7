import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ReportSigner } from '../report/signing.ts';
import { buildSiteReport } from '../report/site-report.ts';
import { reportFileText, signReport } from '../report/signed-report.ts';
import { reportHtml } from '../report/report-html.ts';
import type { Store } from '../store/store.ts';

export interface ReportDeps {
  store: Store;
  /** The data directory's signing key (made on first use). */
  signer: () => Promise<ReportSigner>;
  version: string;
  now?: () => Date;
}

/** The signed site report: JSON (the exact signed bytes, so a saved response verifies) and its printable HTML. */
export async function reportPlugin(app: FastifyInstance, deps: ReportDeps): Promise<void> {
  const signed = async (req: FastifyRequest) => {
    const report = await buildSiteReport(deps.store, { now: deps.now?.() ?? new Date(), version: deps.version, generatedBy: req.principal?.user });
    return signReport(report, await deps.signer());
  };
  app.get('/api/v1/report', { schema: { tags: ['Report'], summary: 'The site report, signed with the data directory’s Ed25519 key (verify with dragonfly report verify)' } }, async (req, reply) => {
    reply.type('application/json; charset=utf-8').header('content-disposition', 'inline; filename="dragonfly-report.json"');
    return reportFileText(await signed(req));
  });
  app.get('/api/v1/report/html', { schema: { tags: ['Report'], summary: 'The site report as a page that prints to PDF, showing the signing key’s fingerprint' } }, async (req, reply) => {
    // The page carries its own style and nothing else: no scripts, no fetches, not framable.
    reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
    return reportHtml(await signed(req));
  });
}
