import { useState } from 'react';
import type { BmcRef, Hardware } from '../../../../../core/model/hardware.ts';
import { useAppStore } from '../../../app/store.ts';
import { describeError } from '../../../shared/api-client.ts';
import { patchBmc, power, type PowerAction } from '../machine-api.ts';

const powerButtons: { action: PowerAction; label: string; danger?: boolean }[] = [
  { action: 'status', label: 'Check power' },
  { action: 'on', label: 'Power on' },
  { action: 'softOff', label: 'Shut down (ACPI)' },
  { action: 'off', label: 'Power off', danger: true },
  { action: 'cycle', label: 'Power cycle', danger: true },
  { action: 'reset', label: 'Reset', danger: true },
];

export function MachineBmc({ hw }: { hw: Hardware }) {
  const bmc = hw.spec.bmc;
  return (
    <section aria-labelledby="bmc-h">
      <h3 id="bmc-h">Power and BMC</h3>
      {bmc ? <PowerButtons name={hw.metadata.name} /> : <p className="muted small">No BMC configured: power control is off for this machine.</p>}
      <BmcForm name={hw.metadata.name} bmc={bmc} />
    </section>
  );
}

function PowerButtons({ name }: { name: string }) {
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState<PowerAction | null>(null);
  const run = async (action: PowerAction, label: string) => {
    setBusy(action);
    setResult(null);
    try {
      const r = await power(name, action);
      setResult({ ok: true, text: `${label}: ${r?.state ? `power is ${r.state}` : 'done'}` });
    } catch (e) {
      setResult({ ok: false, text: `${label} failed: ${describeError(e)}` });
    } finally {
      setBusy(null);
    }
  };
  return (
    <>
      <div className="button-row" role="group" aria-label="Power control">
        {powerButtons.map((b) => (
          <button key={b.action} type="button" className={b.danger ? 'danger-outline' : ''} disabled={busy !== null} onClick={() => void run(b.action, b.label)}>
            {busy === b.action ? 'Working…' : b.label}
          </button>
        ))}
      </div>
      {result && (
        <p className={result.ok ? 'text-ok' : 'text-error'} role="status">
          {result.text}
        </p>
      )}
    </>
  );
}

function BmcForm({ name, bmc }: { name: string; bmc: BmcRef | undefined }) {
  const [protocol, setProtocol] = useState<BmcRef['protocol']>(bmc?.protocol ?? 'ipmi');
  const [address, setAddress] = useState(bmc?.address ?? '');
  const [credentialRef, setCredentialRef] = useState(bmc?.credentialRef ?? '');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const upsert = useAppStore((s) => s.upsertHardware);
  const save = async (clear: boolean) => {
    setMessage(null);
    try {
      const next: BmcRef | null = clear ? null : { protocol, address: address.trim(), ...(credentialRef.trim() ? { credentialRef: credentialRef.trim() } : {}) };
      upsert(await patchBmc(name, next));
      setMessage({ ok: true, text: clear ? 'BMC removed.' : 'BMC settings saved.' });
    } catch (e) {
      setMessage({ ok: false, text: describeError(e) });
    }
  };
  return (
    <form
      className="form-grid"
      aria-label="BMC settings"
      onSubmit={(e) => {
        e.preventDefault();
        void save(false);
      }}
    >
      <label htmlFor="bmc-protocol">Protocol</label>
      <select id="bmc-protocol" value={protocol} onChange={(e) => setProtocol(e.target.value as BmcRef['protocol'])}>
        <option value="ipmi">IPMI</option>
        <option value="redfish">Redfish</option>
        <option value="wol">Wake-on-LAN</option>
        <option value="proxmox">Proxmox</option>
      </select>
      <label htmlFor="bmc-address">Address</label>
      <input id="bmc-address" value={address} onChange={(e) => setAddress(e.target.value)} placeholder="10.0.0.21 or bmc.example:623" required />
      <label htmlFor="bmc-cred">Credential name</label>
      <input id="bmc-cred" value={credentialRef} onChange={(e) => setCredentialRef(e.target.value)} placeholder="stored credential (optional)" />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={!address.trim()}>
          Save BMC
        </button>
        {bmc && (
          <button type="button" className="quiet" onClick={() => void save(true)}>
            Remove BMC
          </button>
        )}
      </div>
      {message && (
        <p className={message.ok ? 'text-ok' : 'text-error'} role="status">
          {message.text}
        </p>
      )}
    </form>
  );
}
