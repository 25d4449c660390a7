import type { ImageListItem } from '../../../../../core/contract/images.ts';
import { formatBytes } from '../../../shared/format.ts';
import { useImages } from '../hooks/use-images.ts';
import { ImageUpload } from './image-upload.tsx';
import './images.css';

/** The OS image cache: what machines can be imaged with, an upload from this computer, and in a swarm which instances hold each image (heldBy). */
export function ImagesView() {
  const { images, error, reload } = useImages();
  const swarm = images?.some((i) => i.heldBy !== undefined) ?? false;
  return (
    <section className="images-view" aria-labelledby="images-h">
      <header className="editor-head">
        <h2 id="images-h">Images</h2>
        <span className="muted small">
          OS images machines are imaged from. An uploaded image is used in a template as image.url: cache:NAME.
          {swarm && ' In a swarm: machines get an image from this instance once it holds it, or from an instance that does.'}
        </span>
      </header>
      <ImageUpload onUploaded={reload} />
      {error && (
        <p className="text-error" role="alert">
          {error}
        </p>
      )}
      {images === null ? <p className="empty">Loading images…</p> : images.length === 0 ? <p className="empty">No images yet: upload one, or let a template download its own.</p> : <ImageTable images={images} swarm={swarm} />}
    </section>
  );
}

function ImageTable({ images, swarm }: { images: ImageListItem[]; swarm: boolean }) {
  return (
    <table className="data-table image-table" aria-label="Cached images">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">On this instance</th>
          <th scope="col">Raw size</th>
          <th scope="col">sha256 of the raw disk</th>
          <th scope="col">Source</th>
          {swarm && <th scope="col">Held by</th>}
        </tr>
      </thead>
      <tbody>
        {images.map((i) => (
          <tr key={i.key} data-image={i.key}>
            <td>{i.key}</td>
            <td className={i.state === 'failed' ? 'text-error' : undefined} title={i.error}>
              {stateText(i)}
            </td>
            <td>{i.rawBytes === undefined ? '—' : formatBytes(i.rawBytes)}</td>
            <td className="digest">{i.rawSha256 ?? '—'}</td>
            <td className="muted">{i.url}</td>
            {swarm && <td className="mono small">{i.heldBy?.length ? i.heldBy.map((h) => <div key={h}>{h}</div>) : 'no instance'}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What the operator needs to know about this instance's copy, in words. */
function stateText(i: ImageListItem): string {
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
