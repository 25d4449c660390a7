/**
 * Messages on a machine's console WebSocket (GET /api/v1/machines/{name}/console). Binary
 * frames carry the console's bytes both ways (keystrokes in, screen output out); text frames
 * carry these JSON messages. The API, the UI and the CLI share these types.
 */

/** Client → server (text frame). */
export type ConsoleClientMessage = { type: 'break' };

/** Who holds a console, as far as the BMC tells. */
export interface ConsoleHolderInfo {
  sessionId: number;
  user?: string;
  address?: string;
  port?: number;
}

/** Server → client (text frame). */
export type ConsoleServerMessage =
  | { type: 'attached'; machine: string }
  /** Could not open: `code` is a DF_ERR_* code; DF_ERR_CONFLICT means another client holds it (`holder`). */
  | { type: 'error'; code: string; message: string; holder?: ConsoleHolderInfo }
  /** The console ended: taken by another client, or the BMC dropped it. */
  | { type: 'ended'; reason: 'taken' | 'bmc-deactivated' | 'bmc-silent' | 'bmc-lost' | 'closed'; message: string; holder?: ConsoleHolderInfo };

/**
 * Browsers cannot set headers on a WebSocket, so a client signed in with a bearer token (the
 * desktop app) offers it as a subprotocol beside `dragonfly.console`, which the server selects.
 */
export type ConsoleBearerProtocol = `dragonfly.bearer.${string}`;
export type ConsoleProtocol = 'dragonfly.console';
