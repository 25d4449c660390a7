import { useState, type DragEvent } from 'react';
import { describeError } from '../../../shared/api-client.ts';
import { formatBytes } from '../../../shared/format.ts';
import { FormMessage } from '../../../shared/ui/form-message.tsx';
import { ProgressBar } from '../../../shared/ui/progress-bar.tsx';
import { uploadImage } from '../images-api.ts';

interface Sending {
  file: string;
  sent: number;
  total: number;
}

const ACCEPT = '.raw,.gz,.xz,.zst';

/** File picker and drop zone; the bar follows the bytes the browser has sent, then waits for the server's digest. */
export function ImageUpload({ onUploaded }: { onUploaded: () => Promise<void> }) {
  const [sending, setSending] = useState<Sending | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [over, setOver] = useState(false);

  const start = async (file: File | undefined) => {
    if (!file || sending) return;
    setMessage(null);
    setSending({ file: file.name, sent: 0, total: file.size });
    try {
      const img = await uploadImage(file, (sent, total) => setSending({ file: file.name, sent, total }));
      setMessage({ ok: true, text: `${file.name} is now ${img.url} (${formatBytes(img.rawBytes)} raw, sha256 ${img.rawSha256}).` });
    } catch (e) {
      setMessage({ ok: false, text: `${file.name} was not uploaded: ${describeError(e)}` });
    } finally {
      setSending(null);
      await onUploaded();
    }
  };
  const drop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    void start(e.dataTransfer.files[0]);
  };

  return (
    <div className={`image-drop${over ? ' image-drop-over' : ''}`} onDragOver={(e) => (e.preventDefault(), setOver(true))} onDragLeave={() => setOver(false)} onDrop={drop}>
      <label className="image-pick">
        Upload image…
        <input type="file" accept={ACCEPT} className="visually-hidden" disabled={sending !== null} onChange={(e) => void start(e.target.files?.[0]).finally(() => (e.target.value = ''))} />
      </label>
      <span className="muted small">or drop a .raw, .raw.gz, .raw.xz or .raw.zst file here</span>
      {sending && <UploadProgress s={sending} />}
      <FormMessage message={message} />
    </div>
  );
}

function UploadProgress({ s }: { s: Sending }) {
  const pct = s.total ? (100 * s.sent) / s.total : 100;
  const converting = s.sent >= s.total;
  return (
    <div className="progress-cell image-upload-progress">
      <ProgressBar percent={pct} label={`Upload of ${s.file}`} size="large" />
      <span className="progress-text">
        {converting ? `${s.file}: sent; the server is finishing the digest…` : `${s.file}: ${formatBytes(s.sent)} of ${formatBytes(s.total)} (${Math.floor(pct)}%)`}
      </span>
    </div>
  );
}
