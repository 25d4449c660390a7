import { useEffect, useState } from 'react';
import type { ImageStatus } from '../../../../../core/model/image-status.ts';
import { api, describeError } from '../../../shared/api-client.ts';

/** How often the page re-reads the cache: image states are not in the event stream, and another instance's copies change on their own. */
const REFRESH_MS = 5000;

export interface ImagesState {
  items: ImageStatus[] | null;
  error: string | null;
}

/** GET /api/v1/images while the page is open, every few seconds. */
export function useImages(): ImagesState {
  const [state, setState] = useState<ImagesState>({ items: null, error: null });
  useEffect(() => {
    const controller = new AbortController();
    const load = () =>
      api<{ items: ImageStatus[] }>('GET', '/api/v1/images', undefined, { signal: controller.signal })
        .then((r) => setState({ items: r.items, error: null }))
        .catch((e: unknown) => {
          if (!controller.signal.aborted) setState((s) => ({ items: s.items, error: describeError(e) }));
        });
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => {
      controller.abort();
      clearInterval(timer);
    };
  }, []);
  return state;
}
