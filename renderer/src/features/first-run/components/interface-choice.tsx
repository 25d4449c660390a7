import { useState } from 'react';
import { useAppStore } from '../../../app/store.ts';
import { describeError } from '../../../shared/api-client.ts';
import { applyInterface, probeDhcpOn } from '../first-run-api.ts';
import { cidrOf, ipv4Of, modeToBeUsed, orderInterfaces, type DhcpMode, type HostInterface } from '../first-run-facts.ts';
import { FormMessage } from '../../../shared/ui/form-message.tsx';

function InterfaceOption({ i, checked, onChoose }: { i: HostInterface; checked: boolean; onChoose: () => void }) {
  const v4 = ipv4Of(i);
  const loopback = i.addresses.some((a) => a.internal);
  return (
    <label className={`fr-iface${checked ? ' is-current' : ''}`} data-iface={i.name}>
      <input type="radio" name="fr-iface" value={i.name} checked={checked} onChange={onChoose} />
      <span className="mono fr-iface-name">{i.name}</span>
      <span className="mono small">{v4 ? cidrOf(v4) : 'no IPv4 address'}</span>
      <span className={`small ${i.up ? 'text-ok' : 'muted'}`}>link {i.linkState}</span>
      <span className="small">
        {i.defaultRoute && <span className="fr-tag fr-tag-warn">default route: your uplink</span>}
        {loopback && <span className="fr-tag">loopback</span>}
      </span>
    </label>
  );
}

interface Props {
  chosen: string;
  setChosen: (name: string) => void;
  mode: DhcpMode;
  onApplied: () => void;
}

/** Pick the interface facing the machines, look for another DHCP server there, and apply. */
export function InterfaceChoice({ chosen, setChosen, mode, onApplied }: Props) {
  const list = orderInterfaces(useAppStore((s) => s.hostInterfaces));
  const probes = useAppStore((s) => s.dhcpProbes);
  const setProbe = useAppStore((s) => s.setDhcpProbeOf);
  const [busy, setBusy] = useState<'probe' | 'apply' | null>(null);
  const [uplinkOk, setUplinkOk] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const current = list.find((i) => i.name === chosen);
  const probe = probes[chosen];
  const outcome = modeToBeUsed(mode, probe);

  const run = async (what: 'probe' | 'apply') => {
    setBusy(what);
    setMessage(null);
    try {
      if (what === 'probe') setProbe(chosen, await probeDhcpOn(chosen));
      else {
        await applyInterface(chosen);
        setMessage({ ok: true, text: `${chosen} is the provisioning interface now; DHCP and TFTP restarted on it.` });
        onApplied();
      }
    } catch (e) {
      setMessage({ ok: false, text: describeError(e) });
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="fr-choice" aria-labelledby="fr-iface-h">
      <h3 id="fr-iface-h">Which interface faces the machines?</h3>
      <fieldset className="fr-ifaces">
        <legend className="visually-hidden">Provisioning interface</legend>
        {list.length === 0 && <p className="muted">This host reported no network interfaces.</p>}
        {list.map((i) => (
          <InterfaceOption key={i.name} i={i} checked={chosen === i.name} onChoose={() => (setChosen(i.name), setUplinkOk(false), setMessage(null))} />
        ))}
      </fieldset>
      {current && (
        <div className={`probe-box${outcome.warning || outcome.mode !== mode ? ' is-warning' : ''}`} aria-live="polite">
          <button type="button" onClick={() => void run('probe')} disabled={busy !== null}>
            {busy === 'probe' ? `Listening for DHCP servers on ${chosen}…` : probe ? 'Check again' : `Check for other DHCP servers on ${chosen}`}
          </button>
          {probe && !probe.error && (
            <p data-testid="probe-result">
              {probe.found ? `Another DHCP server answers on ${chosen}: ${probe.servers.map((s) => `${s.serverId}${s.offeredAddress ? ` (offered ${s.offeredAddress})` : ''}`).join(', ')}.` : `No other DHCP server answered on ${chosen}.`}
            </p>
          )}
          <p data-testid="mode-to-be-used">
            <strong>Mode:</strong> {outcome.text}
          </p>
          {outcome.warning && <p className="text-warning">{outcome.warning}</p>}
        </div>
      )}
      {current?.defaultRoute && (
        <label className="danger-check">
          <input type="checkbox" checked={uplinkOk} onChange={(e) => setUplinkOk(e.target.checked)} />
          {chosen} carries this laptop&apos;s default route. Serve PXE on it anyway (only if the machines really are on that network)
        </label>
      )}
      <div className="form-actions">
        <button type="button" className="primary" disabled={!current || busy !== null || (current.defaultRoute && !uplinkOk)} onClick={() => void run('apply')}>
          {busy === 'apply' ? 'Applying…' : chosen ? `Use ${chosen} for provisioning` : 'Choose an interface first'}
        </button>
      </div>
      <FormMessage message={message} />
    </section>
  );
}
