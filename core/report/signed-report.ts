import { Compile } from 'typebox/compile';
import { REPORT_FORMAT, SignedReport, type SiteReport } from '../contract/report.ts';
import { invalid } from '../shared/errors.ts';
import { canonicalJson } from './canonical-json.ts';
import { keyFingerprint, publicKeyFrom, verifySignature, type ReportSigner } from './signing.ts';

const checkShape = Compile(SignedReport);

/** What is signed: the JCS bytes of everything but the signature. */
const signedBytes = (r: Pick<SignedReport, 'format' | 'report'>) => canonicalJson({ format: r.format, report: r.report });

export function signReport(report: SiteReport, signer: ReportSigner): SignedReport {
  const body = { format: REPORT_FORMAT, report } as const;
  return {
    ...body,
    signature: { algorithm: 'Ed25519', canonicalization: 'RFC8785-JCS', publicKey: signer.publicKey, keyFingerprint: signer.fingerprint, value: signer.sign(signedBytes(body)) },
  };
}

/**
 * The file form: the whole document in canonical JSON and a newline. Verification asks for
 * exactly these bytes back, so a change of any single byte (even whitespace) is refused.
 */
export const reportFileText = (r: SignedReport): string => `${canonicalJson(r)}\n`;

export interface VerifiedReport {
  report: SignedReport;
  fingerprint: string;
}

/** Checks a report file's text; a DF_ERR_INVALID error says what is wrong with it. */
export function verifyReportText(text: string): VerifiedReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw invalid(`not a report: the file is not JSON (${(e as Error).message}); was it changed or cut short?`);
  }
  if (!checkShape.Check(parsed)) {
    const first = [...checkShape.Errors(parsed)][0];
    throw invalid(`not a signed Dragonfly report: ${first ? `${first.instancePath || '/'} ${first.message}` : 'wrong shape'}`);
  }
  const doc = parsed as SignedReport;
  if (reportFileText(doc) !== text && canonicalJson(doc) !== text) {
    throw invalid('verification FAILED: the file is not byte-for-byte the form that was signed (it was edited after signing)');
  }
  for (const field of ['publicKey', 'value'] as const) {
    // Base64 decoders ignore the spare bits of the last character: only the one exact spelling is accepted.
    const v = doc.signature[field];
    if (Buffer.from(v, 'base64').toString('base64') !== v) throw invalid(`verification FAILED: signature.${field} is not exact base64 (it was edited)`);
  }
  const fingerprint = fingerprintOf(doc.signature.publicKey);
  if (fingerprint !== doc.signature.keyFingerprint) throw invalid(`verification FAILED: the key fingerprint written in the file (${doc.signature.keyFingerprint}) is not that of its key (${fingerprint})`);
  if (!verifySignature(signedBytes(doc), doc.signature.value, doc.signature.publicKey)) {
    throw invalid(`verification FAILED: the signature does not match the content (the report was changed after signing, or signed by another key than ${fingerprint})`);
  }
  return { report: doc, fingerprint };
}

function fingerprintOf(publicKey: string): string {
  try {
    return keyFingerprint(publicKeyFrom(publicKey));
  } catch (e) {
    throw invalid(`verification FAILED: the public key in the file is not a usable Ed25519 key (${(e as Error).message})`);
  }
}
