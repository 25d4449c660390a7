import { useAppStore } from '../../../app/store.ts';
import { serviceProblems, type ServiceStatus } from '../status-slice.ts';

function Service({ name, ok, detail }: { name: string; ok: boolean; detail: string }) {
  return (
    <span className={`service ${ok ? 'is-ok' : 'is-down'}`} title={detail}>
      <span className="service-dot" aria-hidden="true" />
      <span className="visually-hidden">{ok ? 'healthy' : 'not running'}: </span>
      {name}
      {detail && <span className="muted"> {detail}</span>}
    </span>
  );
}

function details(s: ServiceStatus) {
  const { http, dhcp, tftp } = s.services;
  return {
    http: http.address ?? '',
    dhcp: dhcp.mode === 'off' ? 'off' : [dhcp.mode, dhcp.interface].filter(Boolean).join(' on '),
    tftp: tftp.port ? `port ${tftp.port}` : '',
  };
}

/** Health of the three services, with the fix for anything that needs privileges. */
export function StatusBar() {
  const status = useAppStore((s) => s.status);
  const connected = useAppStore((s) => s.connected);
  if (!status) return <footer className="status-bar" aria-label="Service status">Checking services…</footer>;
  const d = details(status);
  const problems = serviceProblems(status);
  const dhcpOff = status.services.dhcp.mode === 'off';
  return (
    <footer className="status-bar" aria-label="Service status">
      <div className="status-services">
        <Service name="HTTP" ok={status.services.http.ok} detail={d.http} />
        <Service name="DHCP" ok={status.services.dhcp.ok || dhcpOff} detail={d.dhcp} />
        <Service name="TFTP" ok={status.services.tftp.ok} detail={d.tftp} />
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
        Dragonfly {status.version} · {status.backend}
      </span>
    </footer>
  );
}
