import type { Readiness } from '../first-run-facts.ts';

type Mark = 'ok' | 'wait' | 'todo';

function Item({ mark, title, detail }: { mark: Mark; title: string; detail: string }) {
  const word = mark === 'ok' ? 'Ready' : mark === 'wait' ? 'In progress' : 'To do';
  return (
    <li className={`fr-check fr-${mark}`} data-check={title}>
      <span className="fr-mark" aria-hidden="true">
        {mark === 'ok' ? '✓' : mark === 'wait' ? '…' : '!'}
      </span>
      <span>
        <strong>{title}</strong> <span className="visually-hidden">{word}:</span>
        <span className="block small">{detail}</span>
      </span>
    </li>
  );
}

/** What a machine needs to boot from this laptop, each item in the server's own words. */
export function ReadinessChecklist({ r }: { r: Readiness }) {
  const image: Mark = r.agentImage.state === 'present' ? 'ok' : r.agentImage.state === 'building' ? 'wait' : 'todo';
  return (
    <ul className="fr-checklist" aria-label="What machines need to boot">
      <Item mark={image} title="Agent boot image" detail={r.agentImage.detail} />
      <Item mark={r.ipxe.ok ? 'ok' : 'todo'} title="iPXE binaries" detail={r.ipxe.detail} />
      <Item mark={r.interface.ok ? 'ok' : 'todo'} title="Provisioning interface" detail={r.interface.detail} />
      <Item mark={r.dhcp.ok ? 'ok' : 'todo'} title="DHCP" detail={r.dhcp.detail} />
    </ul>
  );
}
