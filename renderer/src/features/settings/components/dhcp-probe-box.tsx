import type { SettingsSlice } from '../settings-slice.ts';

interface Props {
  iface: string;
  probe: SettingsSlice['dhcpProbe'];
  probing: boolean;
  onProbe: () => void;
  override: boolean;
  setOverride: (v: boolean) => void;
}

/** Before full DHCP: ask the wire whether another DHCP server already answers there. */
export function DhcpProbeBox({ iface, probe, probing, onProbe, override, setOverride }: Props) {
  const current = probe && probe.interface === iface ? probe.result : null;
  return (
    <div className={`probe-box${current?.found ? ' is-warning' : ''}`} aria-live="polite">
      <p>
        Before handing out addresses, check that no other DHCP server answers on <span className="mono">{iface || '(no interface)'}</span>. Two DHCP
        servers on one network give machines conflicting addresses.
      </p>
      <button type="button" onClick={onProbe} disabled={probing || !iface}>
        {probing ? 'Listening for DHCP servers…' : current ? 'Check again' : 'Check for other DHCP servers'}
      </button>
      {current?.error && (
        <div role="alert">
          <p className="text-warning">The probe could not run: {current.error}</p>
          <label className="danger-check">
            <input type="checkbox" checked={override} onChange={(e) => setOverride(e.target.checked)} />
            Enable full DHCP without a probe (I have checked this network myself)
          </label>
        </div>
      )}
      {current && !current.found && !current.error && <p className="text-ok">No other DHCP server answered on {iface}. Full DHCP is safe to enable.</p>}
      {current?.found && !current.error && (
        <div role="alert">
          <p className="text-warning">
            <strong>Warning:</strong> another DHCP server answered on {iface}:
          </p>
          <ul>
            {current.servers.map((s) => (
              <li key={s.serverId} className="mono">
                server {s.serverId}
                {s.offeredAddress ? ` offered ${s.offeredAddress}` : ''}
              </li>
            ))}
          </ul>
          <p>Use Proxy DHCP instead, or switch the other server off first.</p>
          <label className="danger-check">
            <input type="checkbox" checked={override} onChange={(e) => setOverride(e.target.checked)} />
            Enable full DHCP anyway (machines may get conflicting addresses)
          </label>
        </div>
      )}
    </div>
  );
}
