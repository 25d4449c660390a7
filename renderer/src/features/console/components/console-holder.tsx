import { useState } from 'react';
import type { ConsoleHolding } from '../../../../../core/contract/console.ts';
import { api, describeError } from '../../../shared/api-client.ts';

const path = (machine: string, what: 'holder' | 'release') => `/api/v1/machines/${encodeURIComponent(machine)}/console/${what}`;

/**
 * Who holds the machine's serial console (a BMC has one SOL session): Dragonfly, with its boot
 * log recorder and viewers, or another client. While Dragonfly holds it, ipmitool is refused;
 * "Release to another client" lets go (the recorder stops for the rest of that boot).
 */
export function ConsoleHolder({ machine }: { machine: string }) {
  const [holding, setHolding] = useState<ConsoleHolding | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ask = async (what: 'holder' | 'release') => {
    setBusy(true);
    setError(null);
    try {
      setHolding(await api<ConsoleHolding>(what === 'holder' ? 'GET' : 'POST', path(machine, what)));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="console-holder">
      <p className="small" aria-live="polite" data-testid="console-holder">
        {error ?? holding?.message ?? 'A BMC has one serial console session: Dragonfly (its boot log recorder, its viewers) or another client such as ipmitool.'}
      </p>
      <button type="button" disabled={busy} onClick={() => void ask('holder')}>Who holds the console?</button>
      <button type="button" disabled={busy} onClick={() => void ask('release')} title="Dragonfly lets go of the console so that ipmitool or the BMC's own console can take it; the boot log stops for this boot">Release to another client</button>
    </div>
  );
}
