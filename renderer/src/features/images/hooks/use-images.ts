import { useCallback, useEffect, useState } from 'react';
import type { ImageListItem } from '../../../../../core/contract/images.ts';
import { describeError } from '../../../shared/api-client.ts';
import { listImages } from '../images-api.ts';

/** How often the list is asked again while an image downloads or converts, or in a swarm (the event stream does not carry those). */
const BUSY_POLL_MS = 3000;

/** The image cache's list, loaded when the page opens, on demand, and while something is in progress. */
export function useImages(): { images: ImageListItem[] | null; error: string | null; reload: () => Promise<void> } {
  const [images, setImages] = useState<ImageListItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(
    () =>
      listImages().then(
        (list) => {
          setImages(list);
          setError(null);
        },
        (e) => setError(describeError(e)),
      ),
    [],
  );
  useEffect(() => void reload(), [reload]);
  // Also in a swarm (heldBy present): other instances' copies change on their own.
  const busy = images?.some((i) => i.state === 'downloading' || i.state === 'converting' || i.heldBy !== undefined) ?? false;
  useEffect(() => {
    if (!busy) return;
    const t = setInterval(() => void reload(), BUSY_POLL_MS);
    return () => clearInterval(t);
  }, [busy, reload]);
  return { images, error, reload };
}
