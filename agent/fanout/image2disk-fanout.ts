import type { FetchFn } from '../api.ts';
import { nodeHttpGet, type HttpGet } from '../actions/http-get.ts';
import { FanoutClient } from './client.ts';
import { fanoutWriteImage, type FanoutProgress, type FanoutResult } from './swarm.ts';

/** A peer on the same segment that sends nothing for this long is treated as gone (one retry, then dropped). */
const PEER_IDLE_MS = 10_000;

export interface FanoutImageOptions {
  /** The image URL after "cache:" expansion. */
  url: string;
  serverUrl: string;
  /** The agent token of this run. */
  token: string;
  checksum: string;
  target: string;
  onProgress?: (p: FanoutProgress) => void;
  onVerified?: () => void;
  say?: (line: string) => void;
  fetch?: FetchFn;
  httpGet?: HttpGet;
}

/** The served file name of an image on this control plane's /images, or undefined for any other URL. */
export function servedFileOf(url: string, serverUrl: string): string | undefined {
  const base = `${serverUrl.replace(/\/+$/, '')}/images/`;
  if (!url.startsWith(base)) return undefined;
  const rest = url.slice(base.length);
  return /^[^/?#]+$/.test(rest) ? decodeURIComponent(rest) : undefined;
}

/**
 * image2disk through the rack's swarm when the control plane offers it for this image; undefined
 * (after saying why) when it does not — an image from elsewhere, fan-out switched off, an older
 * control plane — and the caller downloads the whole image as before.
 */
export async function writeImageByFanout(o: FanoutImageOptions): Promise<FanoutResult | undefined> {
  const file = servedFileOf(o.url, o.serverUrl);
  if (!file) return undefined;
  const client = new FanoutClient(o.serverUrl, o.token, o.fetch, o.httpGet);
  const manifest = await client.manifest(file);
  if (typeof manifest === 'string') {
    o.say?.(`fan-out not used for ${file} (${manifest}); downloading the whole image`);
    return undefined;
  }
  try {
    return await fanoutWriteImage({ manifest, checksum: o.checksum, target: o.target, tracker: client, seed: client.seed(file), httpGet: nodeHttpGet(PEER_IDLE_MS), onProgress: o.onProgress, onVerified: o.onVerified });
  } finally {
    client.close();
  }
}
