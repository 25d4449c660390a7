import type { Action } from '../model/template.ts';
import { DragonflyError } from '../shared/errors.ts';
import type { ImageCache, ImageStatus } from './cache.ts';
import type { ImageSpec } from './image-spec.ts';

type Image2Disk = Extract<Action, { type: 'image2disk' }>;

/** The image specs a template's actions need, in order (each URL once). */
export function imageSpecsOf(actions: readonly Action[]): ImageSpec[] {
  const seen = new Set<string>();
  const out: ImageSpec[] = [];
  for (const a of actions) {
    if (a.type !== 'image2disk' || seen.has(a.image.url)) continue;
    seen.add(a.image.url);
    out.push(a.image as ImageSpec);
  }
  return out;
}

/**
 * The actions as a machine must see them: every image2disk reads the control plane's cached
 * copy (gzip raw, checksum = the cached raw disk's sha256), never the internet; in swarm mode
 * with `--image-peers redirect`, the copy of the instance that holds it, if this one does not. Throws
 * DF_ERR_UNAVAILABLE naming the image when one is not ready yet. `imageUrl` is the boot
 * path's URL layout (core/boot/urls.ts), passed in so images stay below boot.
 */
export function rewriteForMachines<A extends Action>(actions: readonly A[], imageUrl: (file: string) => string, cache: ImageCache): A[] {
  return actions.map((a) => {
    if (a.type !== 'image2disk') return a;
    const spec = (a as Image2Disk).image as ImageSpec;
    const img = cache.readyFor(spec);
    const there = img ? undefined : cache.redirectFor(spec); // swarm, --image-peers redirect: read it where it is
    if (there) return { ...a, image: { url: there.fileUrl, format: 'gz' as const, checksum: `sha256:${there.rawSha256}` } };
    if (!img) {
      const peer = cache.copyFromPeer(spec); // swarm mode only: another instance holds it
      if (peer) throw new DragonflyError('DF_ERR_UNAVAILABLE', `image ${spec.url} is not in this instance's image cache yet: it is being fetched from instance ${peer}${percentDone(cache.status(spec)) ?? ''}`);
      const s = cache.status(spec);
      const detail = percentDone(s) ? ` (downloading,${percentDone(s)})` : s.error ? ` (failed: ${s.error})` : ` (${s.state})`;
      throw new DragonflyError('DF_ERR_UNAVAILABLE', `image ${spec.url} is not in the image cache yet${detail}`);
    }
    const image = { url: imageUrl(img.file), format: 'gz' as const, checksum: `sha256:${img.rawSha256}` };
    return { ...a, image };
  });
}

/** " 40%" while a download of known size runs. */
function percentDone(s: ImageStatus): string | undefined {
  return s.state === 'downloading' && s.bytesTotal ? ` ${Math.floor((100 * (s.bytesDone ?? 0)) / s.bytesTotal)}%` : undefined;
}
