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

/** What the cache needs to know about the rest of the swarm. */
export interface ImagePeers {
  /** This instance's name (its boot URL base). */
  self(): string;
  /** The other instances holding image `key` ready. */
  holders(key: string): PeerImage[];
  /** The keys of every image some other instance holds. */
  keys(): string[];
}
