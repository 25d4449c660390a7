import type { ImageStatus } from '../../../../../core/model/image-status.ts';
import { formatBytes } from '../../../shared/format.ts';
import { FormMessage } from '../../../shared/ui/form-message.tsx';
import { useImages } from '../hooks/use-images.ts';

/** The OS image cache of this instance and, in a swarm, which instances hold each image (heldBy). */
export function ImagesView() {
  const { items, error } = useImages();
  const swarm = items?.some((i) => i.heldBy !== undefined) ?? false;
  return (
    <section className="images-view" aria-labelledby="images-h">
      <header className="editor-head">
        <h2 id="images-h">Images</h2>
        <span className="muted small">
          {swarm ? 'Every image in the swarm: machines get it from this instance once it holds it, or from an instance that does.' : 'The OS images this instance serves to machines.'}
        </span>
      </header>
      {error && <FormMessage message={{ ok: false, text: error }} />}
      {items === null ? <p className="empty">Loading images…</p> : items.length === 0 ? <p className="empty">No images yet: import one, or assign a template whose image is downloaded.</p> : <ImageTable items={items} swarm={swarm} />}
    </section>
  );
}

function ImageTable({ items, swarm }: { items: ImageStatus[]; swarm: boolean }) {
  return (
    <table className="data-table" aria-label="Images">
      <thead>
        <tr>
          <th scope="col">Image</th>
          <th scope="col">Source</th>
          <th scope="col">On this instance</th>
          <th scope="col">Disk size</th>
          {swarm && <th scope="col">Held by</th>}
        </tr>
      </thead>
      <tbody>
        {items.map((i) => (
          <tr key={i.key} data-image={i.key}>
            <td className="mono">{i.key}</td>
            <td className="mono small">{i.url}</td>
            <td>{stateText(i)}</td>
            <td>{i.rawBytes === undefined ? '—' : formatBytes(i.rawBytes)}</td>
            {swarm && <td className="mono small">{i.heldBy?.length ? i.heldBy.map((h) => <div key={h}>{h}</div>) : 'no instance'}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What the operator needs to know about the local copy, in words. */
function stateText(i: ImageStatus): string {
  switch (i.state) {
    case 'ready':
      return 'ready';
    case 'absent':
      return 'not here';
    case 'failed':
      return `failed: ${i.error ?? 'no reason given'}`;
    case 'downloading':
      return `${i.from ? `copying from ${i.from}` : 'downloading'}${i.bytesTotal ? ` ${Math.floor((100 * (i.bytesDone ?? 0)) / i.bytesTotal)}%` : ''}`;
    case 'converting':
      return 'converting';
  }
}
