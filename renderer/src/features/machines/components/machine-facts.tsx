import type { Hardware } from '../../../../../core/model/hardware.ts';
import { formatBytes } from '../../../shared/format.ts';

export function MachineFacts({ hw }: { hw: Hardware }) {
  const f = hw.spec.facts;
  return (
    <section aria-labelledby="facts-h">
      <h3 id="facts-h">Hardware</h3>
      {!f ? (
        <p className="muted">The agent has not reported this machine's hardware yet.</p>
      ) : (
        <>
          <dl className="facts-grid">
            <dt>CPU</dt>
            <dd>
              {f.cpu.model} — {f.cpu.sockets} socket{f.cpu.sockets === 1 ? '' : 's'}, {f.cpu.cores} cores, {f.cpu.threads} threads
              {f.cpu.arch ? ` (${f.cpu.arch})` : ''}
            </dd>
            <dt>Memory</dt>
            <dd>{formatBytes(f.memoryBytes)}</dd>
            <dt>System</dt>
            <dd>
              {[f.dmi.vendor, f.dmi.product].filter(Boolean).join(' ') || '—'}
              {f.dmi.serial ? ` · serial ${f.dmi.serial}` : ''}
            </dd>
            <dt>Firmware</dt>
            <dd>
              {f.firmware.toUpperCase()}
              {f.virtualization && f.virtualization !== 'none' ? ` · virtual (${f.virtualization})` : ''}
            </dd>
            <dt>Secure Boot</dt>
            <dd>{secureBootText(f)}</dd>
          </dl>
          <table className="data-table">
            <caption>Disks</caption>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Size</th>
                <th scope="col">Model</th>
                <th scope="col">Serial</th>
                <th scope="col">Type</th>
              </tr>
            </thead>
            <tbody>
              {f.disks.map((d) => (
                <tr key={d.path}>
                  <td className="mono">{d.path}</td>
                  <td>{formatBytes(d.sizeBytes)}</td>
                  <td>{d.model ?? '—'}</td>
                  <td className="mono">{d.serial ?? '—'}</td>
                  <td>
                    {d.transport ?? ''}
                    {d.rotational ? ' HDD' : d.rotational === false ? ' SSD' : ''}
                    {d.removable ? ' removable' : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <table className="data-table">
            <caption>Network interfaces</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">MAC</th>
                <th scope="col">Link</th>
                <th scope="col">Speed</th>
              </tr>
            </thead>
            <tbody>
              {f.nics.map((n) => (
                <tr key={n.mac + n.name}>
                  <td className="mono">{n.name}</td>
                  <td className="mono">{n.mac}</td>
                  <td>{n.link ?? '—'}</td>
                  <td>{n.speedMbps ? `${n.speedMbps} Mb/s` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

/** What the agent read from the firmware's SecureBoot variable at its last boot. */
function secureBootText(f: NonNullable<Hardware['spec']['facts']>): string {
  if (f.secureBoot === true) return 'on (enforcing)';
  if (f.secureBoot === false) return f.firmware === 'bios' ? 'off (BIOS)' : 'off';
  return 'unknown (not reported by the agent)';
}
