import { useActionState } from 'react';
import type { Hardware, MachineIdentity } from '../../../../../core/model/hardware.ts';
import { resolveIdentity, type IdentityDecision } from '../machine-api.ts';

/** Restates core/inventory/identity.ts's condition type (the renderer imports only types from core). */
const IDENTITY_CONFLICT = 'IdentityConflict';

function conflictOf(hw: Hardware) {
  return hw.status?.conditions?.find((c) => c.type === IDENTITY_CONFLICT && c.status === 'True');
}

/** A badge beside the state when a registration offered another identity for this machine. */
export function IdentityBadge({ hw }: { hw: Hardware }) {
  const c = conflictOf(hw);
  if (!c) return null;
  return (
    <span className="badge badge-error" title={c.message}>
      <span className="badge-dot" aria-hidden="true" />
      Identity conflict
    </span>
  );
}

const describe = (i: MachineIdentity | undefined) =>
  i ? `UUID ${i.uuid ?? '—'}, serial ${i.serial ?? '—'}, disks ${i.diskSerials.join(', ') || '—'}` : '—';

/** The conflict with both identities side by side, and the operator's two answers. */
export function IdentityConflictPanel({ hw }: { hw: Hardware }) {
  const [error, decide, pending] = useActionState(async (_prev: string | null, decision: IdentityDecision) => {
    try {
      await resolveIdentity(hw.metadata.name, decision);
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  }, null);
  const c = conflictOf(hw);
  if (!c) return null;
  const identity = hw.status?.identity;
  return (
    <section aria-labelledby="identity-h" className="identity-conflict">
      <h3 id="identity-h">Identity conflict</h3>
      <p className="small">{c.message}</p>
      <dl className="facts-grid">
        <dt>Pinned</dt>
        <dd className="mono small">{describe(identity?.pinned)}</dd>
        <dt>Offered</dt>
        <dd className="mono small">{describe(identity?.offered)}</dd>
      </dl>
      <form>
        <button type="submit" disabled={pending} formAction={() => decide('accept')}>
          Accept new identity
        </button>{' '}
        <button type="submit" disabled={pending} formAction={() => decide('refuse')}>
          Keep refusing
        </button>
      </form>
      {error && <p role="alert">{error}</p>}
    </section>
  );
}
