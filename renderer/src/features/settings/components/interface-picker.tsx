import { useAppStore } from '../../../app/store.ts';

export function InterfacePicker({ value, onChange, error }: { value: string; onChange: (name: string) => void; error?: string }) {
  const interfaces = useAppStore((s) => s.interfaces);
  return (
    <fieldset className="iface-picker">
      <legend>Interface facing the machines</legend>
      {interfaces.length === 0 && <p className="muted">No network interfaces were reported.</p>}
      {interfaces.map((i) => {
        const v4 = i.addresses.filter((a) => a.family === 'IPv4' || a.family === 4 || a.address.includes('.'));
        const loopback = i.addresses.some((a) => a.internal);
        return (
          <label key={i.name} className={`iface-option${value === i.name ? ' is-current' : ''}`}>
            <input type="radio" name="iface" value={i.name} checked={value === i.name} onChange={() => onChange(i.name)} />
            <span className="mono iface-name">{i.name}</span>
            <span className={i.up ? 'text-ok small' : 'muted small'}>{i.up ? 'up' : 'down'}</span>
            <span className="mono small">{v4.map((a) => `${a.address}/${a.netmask}`).join(', ') || 'no IPv4 address'}</span>
            <span className="mono muted small">{loopback ? 'loopback' : (i.mac ?? '')}</span>
          </label>
        );
      })}
      {error && <p className="text-error">{error}</p>}
    </fieldset>
  );
}
