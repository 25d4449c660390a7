/**
 * One row of the image cache as GET /api/v1/images answers it (the Images page reads the same
 * type). Kept in model, not in core/images, so the renderer can name it without the cache's Node code.
 */
export type ImageState = 'absent' | 'downloading' | 'converting' | 'ready' | 'failed';

export interface ImageStatus {
  key: string;
  /** Where the image came from: its URL, or cache:NAME for an imported file. */
  url: string;
  state: ImageState;
  /** While downloading: bytes in the .part file and the whole size when known. */
  bytesDone?: number;
  bytesTotal?: number;
  /** When ready: the served file under the images directory and its size, bytes. */
  file?: string;
  fileBytes?: number;
  /** When ready: size and sha256 (hex) of the raw disk. */
  rawBytes?: number;
  rawSha256?: string;
  /** When failed: why, as a sentence. */
  error?: string;
  /** Swarm mode, while copying it from another instance: that instance (its boot URL base). */
  from?: string;
  /** Swarm mode: the instances holding it ready, this one included, by boot URL base. */
  heldBy?: string[];
  updatedAt: string;
}
