import { NAME_PATTERN } from '../model/meta.ts';
import { isMac, parseMac } from '../shared/mac.ts';

/**
 * The technician's spreadsheet (issue 17, "declared machines"), saved as CSV (RFC 4180: comma
 * separated, double quotes around fields holding commas, quotes or line breaks). The first row
 * names the columns, in any order and case ("BMC address" = bmc_address):
 *   mac (required), bmc_address (required, host or host:port), bmc_protocol (ipmi | redfish; default ipmi),
 *   bmc_username + bmc_password, or credential_ref (a stored credential), rack, position,
 *   labels ("key=value;key=value"), name (optional machine name; default the memorable name of the MAC).
 */
export interface DeclaredRow {
  line: number;
  mac: string;
  bmc: { protocol: 'ipmi' | 'redfish'; address: string };
  credential: { kind: 'inline'; username: string; password: string } | { kind: 'ref'; ref: string };
  labels: Record<string, string>;
  name?: string;
}

export interface RowProblem {
  line: number;
  message: string;
}

export type InventoryParse = { ok: true; rows: DeclaredRow[] } | { ok: false; problems: RowProblem[] };

const KNOWN = ['mac', 'bmc_address', 'bmc_protocol', 'bmc_username', 'bmc_password', 'credential_ref', 'rack', 'position', 'labels', 'name'] as const;
type Column = (typeof KNOWN)[number];
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const HOST_PORT = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/;

/** Every problem of every row, or the rows; nothing half-parsed. */
export function parseInventoryCsv(text: string): InventoryParse {
  const records = splitCsv(text);
  if ('problem' in records) return { ok: false, problems: [records.problem] };
  const [header, ...body] = records.records.filter((r) => r.fields.some((f) => f.trim() !== ''));
  if (!header) return { ok: false, problems: [{ line: 1, message: 'the file is empty: the first row must name the columns (mac, bmc_address, ...)' }] };
  const columns = headerColumns(header);
  if ('problem' in columns) return { ok: false, problems: [columns.problem] };
  const problems: RowProblem[] = [];
  const rows: DeclaredRow[] = [];
  const seenMacs = new Map<string, number>();
  for (const rec of body) {
    const row = parseRow(rec, columns.index, seenMacs);
    if ('problems' in row) problems.push(...row.problems.map((message) => ({ line: rec.line, message })));
    else rows.push(row);
  }
  if (body.length === 0) problems.push({ line: header.line, message: 'no machines: only the header row' });
  return problems.length ? { ok: false, problems } : { ok: true, rows };
}

const normalise = (h: string) => h.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');

function headerColumns(header: CsvRecord): { index: Map<Column, number> } | { problem: RowProblem } {
  const index = new Map<Column, number>();
  for (const [i, raw] of header.fields.entries()) {
    const name = normalise(raw) as Column;
    if (!KNOWN.includes(name)) return { problem: { line: header.line, message: `unknown column "${raw}" (known: ${KNOWN.join(', ')})` } };
    if (index.has(name)) return { problem: { line: header.line, message: `column "${raw}" appears twice` } };
    index.set(name, i);
  }
  const missing = (['mac', 'bmc_address'] as const).filter((c) => !index.has(c));
  if (missing.length) return { problem: { line: header.line, message: `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` } };
  return { index };
}

function parseRow(rec: CsvRecord, index: Map<Column, number>, seenMacs: Map<string, number>): DeclaredRow | { problems: string[] } {
  const get = (c: Column) => (index.has(c) ? (rec.fields[index.get(c)!] ?? '').trim() : '');
  const problems: string[] = [];
  const mac = checkMac(get('mac'), rec.line, seenMacs, problems);
  const address = get('bmc_address');
  if (!address) problems.push('bmc_address is empty');
  else if (!HOST_PORT.test(address)) problems.push(`bmc_address "${address}" is not a host or host:port`);
  const protocol = get('bmc_protocol').toLowerCase() || 'ipmi';
  if (protocol !== 'ipmi' && protocol !== 'redfish') problems.push(`bmc_protocol "${protocol}": say ipmi or redfish`);
  const credential = checkCredential(get('bmc_username'), get('bmc_password'), get('credential_ref'), problems);
  const labels = checkLabels(get('labels'), { rack: get('rack'), position: get('position') }, problems);
  const name = get('name') || undefined;
  if (name && (!new RegExp(NAME_PATTERN).test(name) || name.length > 63)) problems.push(`name "${name}" must be lower-case letters, digits and dashes (at most 63)`);
  if (problems.length) return { problems };
  return { line: rec.line, mac: mac!, bmc: { protocol: protocol as 'ipmi' | 'redfish', address }, credential: credential!, labels, name };
}

function checkMac(raw: string, line: number, seen: Map<string, number>, problems: string[]): string | undefined {
  if (!raw) return void problems.push('mac is empty');
  if (!isMac(raw)) return void problems.push(`mac "${raw}" is not a MAC address (six hex octets, e.g. 52:54:00:12:34:56)`);
  const mac = parseMac(raw);
  const first = seen.get(mac);
  if (first !== undefined) return void problems.push(`mac ${mac} is already on line ${first}`);
  seen.set(mac, line);
  return mac;
}

function checkCredential(username: string, password: string, ref: string, problems: string[]): DeclaredRow['credential'] | undefined {
  if (ref && (username || password)) return void problems.push('give bmc_username/bmc_password or credential_ref, not both');
  if (ref) return new RegExp(NAME_PATTERN).test(ref) ? { kind: 'ref', ref } : void problems.push(`credential_ref "${ref}" is not a credential name`);
  if (!password) return void problems.push('no BMC credential: give bmc_password (and bmc_username) or credential_ref');
  return { kind: 'inline', username, password };
}

function checkLabels(raw: string, fixed: Record<string, string>, problems: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  const pairs = raw ? raw.split(';').map((p) => p.trim()).filter(Boolean) : [];
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq < 1) problems.push(`label "${p}" is not key=value`);
    else labels[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  for (const [k, v] of Object.entries(fixed)) if (v) labels[k] = v;
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_KEY.test(k)) problems.push(`label key "${k}" is not a valid label name`);
    if (!LABEL_VALUE.test(v)) problems.push(`label ${k}="${v}": a value is at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`);
  }
  return labels;
}

interface CsvRecord {
  line: number;
  fields: string[];
}

/** RFC 4180 records with the line each starts on; a quote left open is named by its line. */
function splitCsv(text: string): { records: CsvRecord[] } | { problem: RowProblem } {
  const src = text.replace(/^\uFEFF/, ''); // spreadsheet programs write a byte order mark
  const records: CsvRecord[] = [];
  const cur = { fields: [] as string[], field: '', quoted: false, line: 1, start: 1 };
  const endRecord = () => {
    records.push({ line: cur.start, fields: [...cur.fields, cur.field] });
    cur.fields = [];
    cur.field = '';
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\n') cur.line++;
    if (cur.quoted) {
      if (c !== '"') cur.field += c;
      else if (src[i + 1] === '"') cur.field += src[++i];
      else cur.quoted = false;
    } else if (c === '"' && cur.field === '') cur.quoted = true;
    else if (c === ',') {
      cur.fields.push(cur.field);
      cur.field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      if (c === '\r') cur.line++;
      endRecord();
      cur.start = cur.line;
    } else cur.field += c;
  }
  if (cur.quoted) return { problem: { line: cur.start, message: 'a quoted field is never closed' } };
  if (cur.field !== '' || cur.fields.length) endRecord();
  return { records };
}
