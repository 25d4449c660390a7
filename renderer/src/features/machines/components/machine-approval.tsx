import { useActionState } from 'react';
import type { Hardware } from '../../../../../core/model/hardware.ts';
import { approveMachine } from '../machine-api.ts';

/** Restates core/model/hardware.ts's AWAITING_APPROVAL (the renderer imports only types from core). */
const AWAITING_APPROVAL = 'AwaitingApproval';

const awaiting = (hw: Hardware) => hw.status?.conditions?.some((c) => c.type === AWAITING_APPROVAL && c.status === 'True') ?? false;

/** Beside the state: this machine registered under `enrolment: approve` and waits for an operator. */
export function ApprovalBadge({ hw }: { hw: Hardware }) {
  if (!awaiting(hw)) return null;
  return (
    <span className="badge badge-assigned" title="Enrolment needs approval: it cannot be assigned until an operator approves it">
      <span className="badge-dot" aria-hidden="true" />
      Awaiting approval
    </span>
  );
}

/** The approve button in the machine's detail. */
export function ApprovalPanel({ hw }: { hw: Hardware }) {
  const [error, approve, pending] = useActionState(async () => {
    try {
      await approveMachine(hw.metadata.name);
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  }, null);
  if (!awaiting(hw)) return null;
  return (
    <section aria-labelledby="approval-h">
      <h3 id="approval-h">Awaiting approval</h3>
      <p className="small">This machine registered its hardware; it cannot be assigned (nothing is written to its disks) until you approve it.</p>
      <form action={approve}>
        <button type="submit" disabled={pending}>
          Approve machine
        </button>
      </form>
      {error && <p role="alert">{error}</p>}
    </section>
  );
}
