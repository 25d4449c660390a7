import { DECLARED_LABEL, type Hardware } from '../model/hardware.ts';
import { initialState } from '../model/lifecycle.ts';
import { API_VERSION } from '../model/meta.ts';
import { nameSlug, uniqueMemorableName } from '../model/names.ts';
import { invalid } from '../shared/errors.ts';
import type { Store } from '../store/store.ts';
import type { HardwareIndex } from './hardware-index.ts';
import { parseInventoryCsv, type DeclaredRow, type RowProblem } from './inventory-csv.ts';

/** What the import needs of the encrypted credential store (power/secrets): BMC passwords never go into the store. */
export interface DeclaredCredentials {
  set(ref: string, c: { username?: string; secret: string }): void | Promise<void>;
  delete(ref: string): boolean | Promise<boolean>;
  refs(): string[];
}

export interface DeclaredMachine {
  line: number;
  name: string;
  mac: string;
}

/**
 * Creates one Hardware object per row, in state Discovered with the declared label and a BMC
 * reference; all or nothing: every problem of every row is reported (DF_ERR_INVALID, details
 * { problems: [{ line, message }] }) and nothing is created when there is any.
 */
export async function importDeclaredMachines(deps: { store: Store; index: HardwareIndex; credentials: DeclaredCredentials }, csv: string): Promise<DeclaredMachine[]> {
  const parsed = parseInventoryCsv(csv);
  const problems = parsed.ok ? await conflictsWithFleet(parsed.rows, deps) : parsed.problems;
  if (!parsed.ok || problems.length) throw invalid(`inventory refused, nothing created (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n${problems.map((p) => `  line ${p.line}: ${p.message}`).join('\n')}`, { problems });
  const planned = plan(parsed.rows, deps.index);
  const created: Hardware[] = [];
  try {
    for (const p of planned) {
      if (p.row.credential.kind === 'inline') await deps.credentials.set(p.credentialRef, { username: p.row.credential.username || undefined, secret: p.row.credential.password });
      created.push(await deps.store.create(p.hardware));
    }
  } catch (e) {
    await rollBack(deps, planned, created); // a race (a machine booted meanwhile): leave nothing half-imported
    throw e;
  }
  for (const hw of created) deps.index.put(hw);
  return planned.map((p) => ({ line: p.row.line, name: p.hardware.metadata.name, mac: p.row.mac }));
}

/** Rows that collide with machines and credentials that already exist. */
async function conflictsWithFleet(rows: DeclaredRow[], deps: { store: Store; index: HardwareIndex; credentials: DeclaredCredentials }): Promise<RowProblem[]> {
  const refs = new Set(deps.credentials.refs());
  const names = new Map<string, number>();
  const out: RowProblem[] = [];
  for (const r of rows) {
    const holder = deps.index.nameByMac(r.mac);
    if (holder) out.push({ line: r.line, message: `mac ${r.mac} belongs to machine ${holder} already` });
    if (r.credential.kind === 'ref' && !refs.has(r.credential.ref)) out.push({ line: r.line, message: `credential_ref "${r.credential.ref}" is not a stored credential` });
    if (r.name && (deps.index.isDisplayNameTaken(r.name) || (await exists(deps.store, r.name)))) out.push({ line: r.line, message: `name "${r.name}" is taken by another machine` });
    if (r.name && r.credential.kind === 'inline' && refs.has(`bmc-${r.name}`)) out.push({ line: r.line, message: `a credential named bmc-${r.name} exists already; use credential_ref bmc-${r.name} or another name` });
    if (r.name && names.has(r.name)) out.push({ line: r.line, message: `name "${r.name}" is already on line ${names.get(r.name)}` });
    if (r.name) names.set(r.name, r.line);
  }
  return out;
}

const exists = (store: Store, name: string) =>
  store.get('Hardware', name).then(
    () => true,
    () => false,
  );

interface Planned {
  row: DeclaredRow;
  credentialRef: string;
  hardware: Hardware;
}

function plan(rows: DeclaredRow[], index: HardwareIndex): Planned[] {
  const taken = new Set<string>();
  return rows.map((row) => {
    const displayName = row.name ?? uniqueMemorableName(row.mac, (n) => index.isDisplayNameTaken(n) || taken.has(n));
    taken.add(displayName);
    const name = row.name ?? nameSlug(displayName);
    const credentialRef = row.credential.kind === 'ref' ? row.credential.ref : `bmc-${name}`.slice(0, 63).replace(/-+$/, '');
    const hardware: Hardware = {
      apiVersion: API_VERSION,
      kind: 'Hardware',
      metadata: { name, labels: { ...row.labels, [DECLARED_LABEL]: 'true' } },
      spec: { macs: [row.mac], displayName, bmc: { ...row.bmc, credentialRef } },
      status: { state: initialState, bootHistory: [{ at: new Date().toISOString(), step: 'declared', detail: `inventory line ${row.line}` }] },
    };
    return { row, credentialRef, hardware };
  });
}

async function rollBack(deps: { store: Store; credentials: DeclaredCredentials }, planned: Planned[], created: Hardware[]): Promise<void> {
  for (const hw of created) await deps.store.delete('Hardware', hw.metadata.name).catch(() => undefined);
  for (const p of planned) if (p.row.credential.kind === 'inline') await Promise.resolve(deps.credentials.delete(p.credentialRef)).catch(() => false);
}
