/**
 * WebSockets of the API: a machine's serial console (console-plugin.ts) and the fan-out tracker's
 * channel (fanout-plugin.ts), one server for both.
 */
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { ConsoleProtocol } from '../contract/console.ts';

/** Largest frame from a client, bytes: a console paste or a tracker ask, never a file transfer. */
const MAX_FRAME = 64 * 1024;

/**
 * permessage-deflate (RFC 7692) for clients that offer it, on every message, keeping the window
 * between messages: a tracker answer names the same peers, addresses and keys as the ones before
 * it, and compressed against them it is a fraction of its size on the laptop's link (at 200 agents
 * the tracker answers ~100 asks a second; docs/FANOUT.md). An 8 KiB window and memLevel 5 keep the
 * server's zlib state per channel near 40 KiB.
 */
const DEFLATE = { threshold: 0, serverMaxWindowBits: 13, zlibDeflateOptions: { memLevel: 5 } };

/**
 * WebSocket upgrades through Fastify's routing. Must be registered before the auth hook: its
 * own onRequest hook marks upgrade requests so that a refused one (401) gets its socket
 * closed; registered later, a refused upgrade kept the socket open and hung server close.
 */
export async function registerWebSockets(app: FastifyInstance): Promise<void> {
  const ours: ConsoleProtocol = 'dragonfly.console';
  // Never echo the bearer subprotocol back: pick ours, or none for clients that offered nothing.
  const handleProtocols = (offered: Set<string>) => (offered.has(ours) ? ours : false);
  await app.register(websocket, { options: { maxPayload: MAX_FRAME, handleProtocols, perMessageDeflate: DEFLATE } });
}

