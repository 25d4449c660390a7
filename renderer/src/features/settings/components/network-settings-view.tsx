import { useState } from 'react';
import { useAppStore } from '../../../app/store.ts';
import { ApiError, describeError } from '../../../shared/api-client.ts';
import { useNetworkSettings } from '../hooks/use-network-settings.ts';
import { networkFormProblems, suggestRange, type DhcpMode, type NetworkSettings } from '../network-settings.ts';
import { mayEnableFullDhcp } from '../settings-slice.ts';
import { probeDhcp, putNetwork } from '../settings-api.ts';
import { InterfacePicker } from './interface-picker.tsx';
import { DhcpProbeBox } from './dhcp-probe-box.tsx';
import { FormMessage } from '../../../shared/ui/form-message.tsx';

const modes: { mode: DhcpMode; title: string; help: string }[] = [
  { mode: 'proxy', title: 'Proxy DHCP (recommended)', help: 'Answers only with boot information; your existing DHCP server keeps handing out addresses.' },
  { mode: 'full', title: 'Full DHCP', help: 'Hands out addresses from the range below. Only on an isolated provisioning network.' },
  { mode: 'off', title: 'Off', help: 'No DHCP at all: machines must be pointed at this server some other way.' },
];

export function NetworkSettingsView() {
  const { error, reload } = useNetworkSettings();
  const saved = useAppStore((s) => s.network);
  if (error) {
    return (
      <section className="settings-view">
        <p className="text-error" role="alert">
          Could not load network settings: {error}
        </p>
        <button type="button" onClick={reload}>
          Try again
        </button>
      </section>
    );
  }
  if (!saved) return <p className="empty">Loading network settings…</p>;
  return <NetworkForm key={JSON.stringify(saved)} saved={saved} />;
}

function NetworkForm({ saved }: { saved: NetworkSettings }) {
  const setNetwork = useAppStore((s) => s.setNetwork);
  const probe = useAppStore((s) => s.dhcpProbe);
  const setProbe = useAppStore((s) => s.setDhcpProbe);
  const [form, setForm] = useState<NetworkSettings>(saved);
  const [override, setOverride] = useState(false);
  const [probing, setProbing] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const problems = networkFormProblems(form);
  const switchingToFull = form.dhcpMode === 'full' && saved.dhcpMode !== 'full';
  const gate = switchingToFull ? mayEnableFullDhcp(probe, form.interface) : 'ok';
  const canSave = Object.keys(problems).length === 0 && (gate === 'ok' || (gate === 'conflict' && override));
  const interfaces = useAppStore((s) => s.interfaces);
  // Entering full DHCP with no range yet: offer one from the chosen interface's subnet.
  const update = (patch: Partial<NetworkSettings>) =>
    setForm((f) => {
      const next = { ...f, ...patch };
      if (next.dhcpMode === 'full' && !next.range.start && !next.range.end) {
        const a = interfaces.find((i) => i.name === next.interface)?.addresses.find((x) => x.address.includes('.'));
        const r = a && suggestRange(a.address, a.netmask);
        if (r) next.range = r;
      }
      return next;
    });

  const runProbe = async () => {
    setProbing(true);
    setMessage(null);
    try {
      setProbe({ interface: form.interface, result: await probeDhcp(form.interface) });
    } catch (e) {
      setMessage({ ok: false, text: `Probe failed: ${describeError(e)}` });
    } finally {
      setProbing(false);
    }
  };
  const save = async () => {
    setMessage(null);
    try {
      setNetwork(await putNetwork(form));
      setMessage({ ok: true, text: 'Network settings saved; the DHCP service restarts with them.' });
    } catch (e) {
      const problems = e instanceof ApiError ? e.problems : [];
      setMessage({ ok: false, text: [describeError(e), ...problems].join(' ') });
    }
  };

  return (
    <form
      className="settings-view"
      aria-labelledby="net-h"
      onSubmit={(e) => {
        e.preventDefault();
        if (canSave) void save();
      }}
    >
      <h2 id="net-h">Provisioning network</h2>
      <InterfacePicker value={form.interface} onChange={(i) => update({ interface: i })} error={problems.interface} />
      <fieldset className="mode-picker">
        <legend>DHCP mode</legend>
        {modes.map((m) => (
          <label key={m.mode} className={`mode-option${form.dhcpMode === m.mode ? ' is-current' : ''}`}>
            <input type="radio" name="dhcp-mode" value={m.mode} checked={form.dhcpMode === m.mode} onChange={() => update({ dhcpMode: m.mode })} />
            <span>
              <strong>{m.title}</strong>
              <span className="muted small block">{m.help}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {form.dhcpMode === 'full' && <FullDhcpFields form={form} update={update} problems={problems} />}
      <label className="mode-option">
        <input type="checkbox" name="fanout" checked={form.fanout === 'on'} onChange={(e) => update({ fanout: e.target.checked ? 'on' : 'off' })} />
        <span>Rack fan-out: machines being imaged send each other the parts they have, so the image crosses this computer's link about once</span>
      </label>
      {switchingToFull && (
        <DhcpProbeBox iface={form.interface} probe={probe} probing={probing} onProbe={() => void runProbe()} override={override} setOverride={setOverride} />
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={!canSave}>
          Save network settings
        </button>
        <button type="button" className="quiet" onClick={() => setForm(saved)}>
          Discard changes
        </button>
      </div>
      <FormMessage message={message} />
      <p className="muted small">
        TFTP port {saved.tftpPort} · HTTP port {saved.httpPort}
      </p>
    </form>
  );
}

interface FieldsProps {
  form: NetworkSettings;
  update: (p: Partial<NetworkSettings>) => void;
  problems: ReturnType<typeof networkFormProblems>;
}

function FullDhcpFields({ form, update, problems }: FieldsProps) {
  return (
    <div className="form-grid">
      <label htmlFor="range-start">Range start</label>
      <input id="range-start" className="mono" value={form.range.start} onChange={(e) => update({ range: { ...form.range, start: e.target.value } })} aria-invalid={!!problems.range} />
      <label htmlFor="range-end">Range end</label>
      <input id="range-end" className="mono" value={form.range.end} onChange={(e) => update({ range: { ...form.range, end: e.target.value } })} aria-invalid={!!problems.range} />
      {problems.range && <p className="text-error field-error">{problems.range}</p>}
      <label htmlFor="router">Router</label>
      <input id="router" className="mono" value={form.router} onChange={(e) => update({ router: e.target.value.trim() })} aria-invalid={!!problems.router} />
      {problems.router && <p className="text-error field-error">{problems.router}</p>}
      <label htmlFor="dns">DNS servers</label>
      <input
        id="dns"
        className="mono"
        value={form.dns.join(', ')}
        onChange={(e) => update({ dns: e.target.value.split(/[\s,]+/).filter(Boolean) })}
        aria-invalid={!!problems.dns}
        placeholder="10.0.0.53, 1.1.1.1"
      />
      {problems.dns && <p className="text-error field-error">{problems.dns}</p>}
      <label htmlFor="lease">Lease (seconds)</label>
      <input id="lease" type="number" min={60} value={form.leaseSeconds} onChange={(e) => update({ leaseSeconds: Number(e.target.value) })} aria-invalid={!!problems.leaseSeconds} />
      {problems.leaseSeconds && <p className="text-error field-error">{problems.leaseSeconds}</p>}
    </div>
  );
}
