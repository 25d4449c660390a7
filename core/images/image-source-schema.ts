import Type, { type Static } from 'typebox';
import { invalid } from '../shared/errors.ts';

/**
 * PROPOSED replacement for `image` in Image2DiskAction (core/model/template.ts), for the lead
 * to move there. Distributions publish checksums of the FILE they serve (SHA512SUMS of the
 * qcow2), not of the decompressed disk, and a template author cannot know the raw digest
 * without downloading the image. So `checksum` (raw) becomes optional when `fileChecksum` is
 * given; the control plane's image cache verifies the download against the published sum
 * and computes the raw digest itself, which is what machines are then told to verify.
 */
export const ProposedImageSource = Type.Object(
  {
    url: Type.String({ minLength: 1, description: 'http(s) URL, or cache:NAME for an image imported into the control plane image cache' }),
    checksum: Type.Optional(Type.String({ pattern: '^(sha256|sha512):[0-9a-f]+$', description: 'digest of the decompressed disk image' })),
    fileChecksum: Type.Optional(
      Type.Union([
        Type.String({ pattern: '^(sha256|sha512):[0-9a-f]+$', description: 'digest of the file the URL serves' }),
        Type.Object(
          {
            url: Type.String({ pattern: '^https?://', description: 'a SHA256SUMS/SHA512SUMS list naming the image file' }),
            algorithm: Type.Union([Type.Literal('sha256'), Type.Literal('sha512')]),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
    format: Type.Optional(
      Type.Union([
        Type.Literal('raw'),
        Type.Literal('gz'),
        Type.Literal('xz'),
        Type.Literal('zst'),
        Type.Literal('qcow2'),
        Type.Literal('tar.xz'),
        Type.Literal('tar.gz'),
      ]),
    ),
  },
  { additionalProperties: false },
);
export type ProposedImageSource = Static<typeof ProposedImageSource>;

/**
 * The rule the schema cannot say, for validateTemplateSemantics: an image fetched from the
 * network must be verifiable by one of its checksums; an imported image (cache:NAME) needs
 * none, since the operator provided the file and the cache computes its digest.
 */
export function checkImageVerifiable(where: string, image: { url: string; checksum?: string; fileChecksum?: unknown }): void {
  if (image.url.startsWith('cache:')) return;
  if (!/^https?:\/\//.test(image.url)) throw invalid(`${where}/image/url: must be http(s)://... or cache:NAME (got "${image.url}")`);
  if (!image.checksum && !image.fileChecksum) {
    throw invalid(`${where}/image: give checksum (digest of the raw disk) or fileChecksum (the published digest of the downloaded file, or the SHA*SUMS URL listing it)`);
  }
}
