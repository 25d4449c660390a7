import { useMemo, useState } from 'react';
import { useAppStore } from '../../../app/store.ts';
import { Dialog } from '../../../shared/ui/dialog.tsx';
import { StateBadge } from '../../../shared/ui/state-badge.tsx';
import { describeError } from '../../../shared/api-client.ts';
import { plural } from '../../../shared/format.ts';
import { assign, needsReimage, summariseAssign } from '../assign-api.ts';

/** Confirms an assignment; provisioned machines need a second, explicit checkbox. */
export function AssignDialog() {
  const draft = useAppStore((s) => s.assignDraft);
  if (!draft) return null;
  return <AssignDialogBody key={`${draft.template}:${draft.machines.join(',')}`} template={draft.template} machines={draft.machines} />;
}

function AssignDialogBody({ template, machines }: { template: string; machines: string[] }) {
  const cancel = useAppStore((s) => s.cancelAssign);
  const byName = useAppStore((s) => s.hardware.byName);
  const tpl = useAppStore((s) => s.templates.byName.get(template));
  const pushToast = useAppStore((s) => s.pushToast);
  const [reimage, setReimage] = useState(false);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<{ machine: string; message: string }[]>([]);
  const [fatal, setFatal] = useState<string | null>(null);
  const states = useMemo(() => Object.fromEntries(machines.map((m) => [m, byName.get(m)?.status?.state])), [machines, byName]);
  const ready = needsReimage(states, machines);
  const blocked = ready.length > 0 && !reimage;

  const confirm = async () => {
    setBusy(true);
    setFatal(null);
    try {
      const { results } = await assign(template, machines, reimage);
      const { started, failed } = summariseAssign(results);
      if (started.length) pushToast({ level: 'success', title: `${template} assigned`, body: `Provisioning ${plural(started.length, 'machine')}.` });
      if (failed.length === 0) cancel();
      else setErrors(failed);
    } catch (e) {
      setFatal(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const label = (m: string) => byName.get(m)?.spec.displayName ?? m;
  return (
    <Dialog
      title={`Assign ${template} to ${plural(machines.length, 'machine')}`}
      onClose={cancel}
      wide
      footer={
        <>
          <button type="button" onClick={cancel}>
            {errors.length ? 'Close' : 'Cancel'}
          </button>
          {errors.length === 0 && (
            <button type="button" className="primary" disabled={busy || blocked} onClick={() => void confirm()}>
              {busy ? 'Assigning…' : `Assign to ${plural(machines.length, 'machine')}`}
            </button>
          )}
        </>
      }
    >
      <p>
        <strong>{template}</strong>
        {tpl?.spec.description ? ` — ${tpl.spec.description}` : ''}. Each machine boots into the agent and runs{' '}
        {tpl ? plural(tpl.spec.actions.length, 'action') : 'the template'}; disks selected by the template are overwritten.
      </p>
      <ul className="assign-list" aria-label="Machines to assign">
        {machines.map((m) => {
          const err = errors.find((e) => e.machine === m);
          return (
            <li key={m}>
              <span className="assign-name">{label(m)}</span>
              <span className="mono muted small">{m}</span>
              <StateBadge state={states[m] ?? 'Unknown'} />
              {err && <span className="text-error small">{err.message}</span>}
            </li>
          );
        })}
      </ul>
      {ready.length > 0 && errors.length === 0 && (
        <label className="danger-check">
          <input type="checkbox" checked={reimage} onChange={(e) => setReimage(e.target.checked)} />
          Reimage {plural(ready.length, 'provisioned machine')} (erases their disks)
        </label>
      )}
      {errors.length > 0 && (
        <p className="text-error" role="alert">
          {plural(errors.length, 'machine')} could not be assigned; the reasons are listed above.
        </p>
      )}
      {fatal && (
        <p className="text-error" role="alert">
          Nothing was assigned: {fatal}
        </p>
      )}
    </Dialog>
  );
}
