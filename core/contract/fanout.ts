/**
 * Rack fan-out (issue 15, docs/FANOUT.md): agents fetch an image's chunks from each other; the
 * control plane is the tracker and the seed of last resort. Every message on
 * /api/agent/v1/fanout, as TypeBox schemas; the agent takes the types only.
 */
import Type, { type Static } from 'typebox';
import { MAX_HAVE_PER_ASK } from '../shared/fanout-limits.ts';

/**
 * Chunks of the raw (decompressed) disk, the bytes a peer holds on its target disk. 4 MiB: a
 * 2 GiB image is 512 digests (about 35 KiB of manifest), and a chunk crosses a 1 GbE link in ~35 ms.
 */
export const FANOUT_CHUNK_BYTES = 4 * 1024 * 1024;

export const FanoutManifest = Type.Object({
  /** The served file under /images (the image's identity on the tracker). */
  image: Type.String(),
  chunkBytes: Type.Integer({ minimum: 1, description: 'bytes per chunk; the last one may be shorter' }),
  rawBytes: Type.Integer({ minimum: 0, description: 'bytes of the raw disk' }),
  sha256: Type.Array(Type.String({ pattern: '^[0-9a-f]{64}$' }), { description: 'sha256 (hex) of each chunk, in order' }),
});
export type FanoutManifest = Static<typeof FanoutManifest>;

/** The tracker channel's `sources` ask: what the agent now holds, and which chunks it wants next. */
export const SourcesRequest = Type.Object(
  {
    image: Type.String({ minLength: 1, maxLength: 255 }),
    /** TCP port of the agent's peer server; the tracker pairs it with the address it sees the request come from. */
    peerPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    /** Chunks verified and written since the last ask (the tracker adds them); more wait for the next ask. */
    have: Type.Array(Type.Integer({ minimum: 0 }), { maxItems: MAX_HAVE_PER_ASK }),
    want: Type.Array(Type.Integer({ minimum: 0 }), { maxItems: 1024 }),
    /** The agent stops serving (its disk is about to change): the tracker forgets it. */
    leaving: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type SourcesRequest = Static<typeof SourcesRequest>;

/** One source for some chunks: a peer (id and base URL) or, without peer, the control plane. */
export const SourceAssignment = Type.Object({
  chunks: Type.Array(Type.Integer({ minimum: 0 })),
  peer: Type.Optional(Type.Object({ id: Type.String(), url: Type.String() })),
});
export type SourceAssignment = Static<typeof SourceAssignment>;

export const SourcesReply = Type.Object({
  plan: Type.Array(SourceAssignment),
  /** When the plan is empty: ms to wait before asking again (the wanted chunks are on their way to someone). */
  retryMs: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Other agents still fetching this image: a finished agent keeps serving while this is above 0. */
  wanting: Type.Integer({ minimum: 0 }),
});
export type SourcesReply = Static<typeof SourcesReply>;

/** The tracker channel's `report` ask: a peer served a wrong chunk or vanished; the tracker drops it. */
export const PeerReport = Type.Object(
  {
    image: Type.String({ minLength: 1, maxLength: 255 }),
    peer: Type.String({ minLength: 1, maxLength: 255 }),
    problem: Type.Union([Type.Literal('corrupt'), Type.Literal('unreachable')]),
    chunk: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type PeerReport = Static<typeof PeerReport>;

/**
 * GET /api/agent/v1/fanout/tracker upgrades to a WebSocket: the agent's channel to the tracker for
 * one imaging run. One JSON text frame per message. The agent asks, numbering its asks; the
 * tracker answers each with the same id. A WebSocket and not one HTTP request per ask: at 200
 * agents the tracker answers about 100 asks a second over the laptop's link, and an HTTP answer's
 * status line and headers (~170 bytes) plus its own TCP segment were most of each one
 * (docs/FANOUT.md, Tracker channel).
 */
export const TrackerAsk = Type.Union([
  Type.Object({ id: Type.Integer({ minimum: 0 }), sources: SourcesRequest }, { additionalProperties: false }),
  Type.Object({ id: Type.Integer({ minimum: 0 }), report: PeerReport }, { additionalProperties: false }),
]);
export type TrackerAsk = Static<typeof TrackerAsk>;

/** The answer to ask `id`: its reply, or why there is none (an id of -1 answers a frame that was not an ask). */
export const TrackerAnswer = Type.Object({
  id: Type.Integer({ minimum: -1 }),
  sources: Type.Optional(SourcesReply),
  report: Type.Optional(Type.Object({ dropped: Type.String() })),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
});
export type TrackerAnswer = Static<typeof TrackerAnswer>;
