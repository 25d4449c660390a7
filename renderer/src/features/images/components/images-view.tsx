import type { ImageListItem } from '../../../../../core/contract/images.ts';
import { formatBytes } from '../../../shared/format.ts';
import { useImages } from '../hooks/use-images.ts';
import { ImageUpload } from './image-upload.tsx';
import './images.css';

/** The OS image cache: what machines can be imaged with, and an upload from this computer. */
export function ImagesView() {
  const { images, error, reload } = useImages();
  return (
    <section className="images-view" aria-labelledby="images-h">
      <header className="editor-head">
        <h2 id="images-h">Images</h2>
        <span className="muted small">OS images machines are imaged from. An uploaded image is used in a template as image.url: cache:NAME.</span>
      </header>
      <ImageUpload onUploaded={reload} />
      {error && (
        <p className="text-error" role="alert">
          {error}
        </p>
      )}
      {images === null ? <p className="empty">Loading images…</p> : images.length === 0 ? <p className="empty">No images yet: upload one, or let a template download its own.</p> : <ImageTable images={images} />}
    </section>
  );
}

function ImageTable({ images }: { images: ImageListItem[] }) {
  return (
    <table className="data-table image-table" aria-label="Cached images">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">State</th>
          <th scope="col">Raw size</th>
          <th scope="col">sha256 of the raw disk</th>
          <th scope="col">Source</th>
        </tr>
      </thead>
      <tbody>
        {images.map((i) => (
          <tr key={i.key} data-image={i.key}>
            <td>{i.key}</td>
            <td className={i.state === 'failed' ? 'text-error' : undefined} title={i.error}>
              {i.state === 'failed' ? `failed: ${i.error ?? ''}` : i.state}
            </td>
            <td>{formatBytes(i.rawBytes)}</td>
            <td className="digest">{i.rawSha256 ?? '—'}</td>
            <td className="muted">{i.url}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
