/** What the image cache knows of the other instances of a swarm (filled in by swarm-images.ts). */

/** An image another instance of the swarm holds ready (the value of images/KEY/INSTANCE). */
export interface PeerImage {
  /** The instance holding it, named by its boot URL base ("http://10.0.0.5:8080"). */
  instance: string;
  /** The image's source as templates name it (cache:NAME or its URL). */
  source: string;
  /** Its served file on that instance (gzip of the raw disk). */
  fileUrl: string;
  rawSha256: string;
  rawBytes: number;
}

/**
 * What an instance does for a machine that needs an image only another instance holds
 * (`--image-peers`): copy it here first (verified by digest; the machine waits with a 503 naming
 * the holder), or redirect the machine to the holder's own URL (nothing is copied; the machine
 * reads over the network from that instance, and the checksum it is given still vouches for the bytes).
 */
export const imagePeerModes = ['copy', 'redirect'] as const;
export type ImagePeerMode = (typeof imagePeerModes)[number];

/** What the cache needs to know about the rest of the swarm. */
export interface ImagePeers {
  /** This instance's name (its boot URL base). */
  self(): string;
  /** The other instances holding image `key` ready. */
  holders(key: string): PeerImage[];
  /** The keys of every image some other instance holds. */
  keys(): string[];
}
