import { useAppStore } from '../../../app/store.ts';
import { serviceProblems } from '../status-slice.ts';

function Service({ name, ok, detail }: { name: string; ok: boolean; detail?: string }) {
  return (
    <span className={`service ${ok ? 'is-ok' : 'is-down'}`} data-service={name}>
      <span className="service-dot" aria-hidden="true" />
      <span className="visually-hidden">{ok ? 'healthy' : 'not running'}: </span>
      {name}
      {detail && <span className="muted"> {detail}</span>}
    </span>
  );
}

const order = ['http', 'dhcp', 'tftp'];

/** Health of the services (DHCP/TFTP/HTTP), with the fix for anything that needs privileges. */
export function StatusBar() {
  const status = useAppStore((s) => s.status);
  const connected = useAppStore((s) => s.connected);
  if (!status) return <footer className="status-bar" aria-label="Service status">Checking services…</footer>;
  const names = Object.keys(status.services).sort((a, b) => (order.indexOf(a) + 99) % 100 - (order.indexOf(b) + 99) % 100);
  const problems = serviceProblems(status);
  return (
    <footer className="status-bar" aria-label="Service status">
      <div className="status-services">
        {names.map((n) => (
          <Service key={n} name={n.toUpperCase()} ok={status.services[n].ok && !status.services[n].error} detail={status.services[n].detail} />
        ))}
        <span className={`service ${connected === false ? 'is-down' : 'is-ok'}`}>
          <span className="service-dot" aria-hidden="true" />
          Live updates {connected === false ? 'reconnecting' : connected ? 'on' : '…'}
        </span>
      </div>
      {problems.length > 0 && (
        <ul className="status-problems" aria-label="Problems">
          {problems.map((p) => (
            <li key={p.service}>
              <strong>{p.service}:</strong> {p.error}
            </li>
          ))}
        </ul>
      )}
      <span className="muted small status-version">
        Dragonfly {status.version} · {status.backend} store
      </span>
    </footer>
  );
}
