/**
 * Image uploads (issue 14): POST /api/v1/images/upload and the progress the event stream
 * carries while one arrives (`event: image-upload`), for the UI, the CLI and anyone watching.
 */
import Type, { type Static } from 'typebox';

/** The server-sent event name of an ImageUploadProgress. */
export const IMAGE_UPLOAD_EVENT = 'image-upload';

/** Query of POST /api/v1/images/upload; the body is the file itself (application/octet-stream, Content-Length required). */
export const ImageUploadQuery = Type.Object(
  {
    /** The file's own name: a plain name ending .raw, .raw.gz, .raw.xz or .raw.zst (it gives the format). */
    file: Type.String({ minLength: 1, maxLength: 255 }),
    /** cache:NAME the image becomes; default from the file name ("Debian-12.raw.xz" -> debian-12). */
    name: Type.Optional(Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 100 })),
  },
  { additionalProperties: false },
);
export type ImageUploadQuery = Static<typeof ImageUploadQuery>;

export const ImageUploadProgress = Type.Object({
  /** The upload's id (the request's), so two uploads of the same file name stay apart. */
  id: Type.String(),
  file: Type.String(),
  /** receiving: bytes are arriving; ready: published as cache:NAME; failed: nothing was kept (error says why). */
  state: Type.Union([Type.Literal('receiving'), Type.Literal('ready'), Type.Literal('failed')]),
  bytesReceived: Type.Integer({ minimum: 0 }),
  /** The declared length (Content-Length), bytes. */
  bytesTotal: Type.Integer({ minimum: 0 }),
  /** When ready: the cache name and the raw disk's sha256 (hex). */
  name: Type.Optional(Type.String()),
  rawSha256: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
});
export type ImageUploadProgress = Static<typeof ImageUploadProgress>;

/** The answer to a finished upload (201). */
export interface ImageUploadResult {
  /** NAME of cache:NAME. */
  name: string;
  url: string;
  rawBytes: number;
  /** sha256 (hex) of the raw disk: what `sha256sum` of the decompressed file prints. */
  rawSha256: string;
  /** Size of the served gzip copy, bytes. */
  fileBytes: number;
}

/** One row of GET /api/v1/images: the cache's own status type (core/model), one shape for server and page. */
export type { ImageStatus as ImageListItem } from '../model/image-status.ts';
