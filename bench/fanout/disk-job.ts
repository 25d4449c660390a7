/** What each of the bench's alternative prototypes (chain.ts, multicast.ts) writes, and what it returns. */
export interface DiskJob {
  /** The image's raw size. */
  size: number;
  /** "sha256:hex" of the raw image. */
  checksum: string;
  /** The disk (a file). */
  target: string;
  /** Called when the disk is written and its checksum verified. */
  onVerified: () => void;
}

/** Bytes an agent took in, from the control plane and from peers. */
export interface Received {
  fromServer: number;
  fromPeers: number;
}
