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
  | { type: 'ended'; reason: 'taken' | 'bmc-deactivated' | 'bmc-silent' | 'bmc-lost' | 'closed' | 'released'; message: string; holder?: ConsoleHolderInfo };

/**
 * Browsers cannot set headers on a WebSocket, so a client signed in with a bearer token (the
 * desktop app) offers it as a subprotocol beside `dragonfly.console`, which the server selects.
 */
export type ConsoleBearerProtocol = `dragonfly.bearer.${string}`;
export type ConsoleProtocol = 'dragonfly.console';

/**
 * Who holds a machine's console: GET /api/v1/machines/{name}/console/holder, and the answer of
 * POST /api/v1/machines/{name}/console/release (Dragonfly lets go of SOL so that another client,
 * such as ipmitool, can activate it; the boot log recorder stops for the rest of that boot).
 */
export interface ConsoleHolding {
  machine: string;
  /** dragonfly: this control plane holds SOL; other: another client does (`holder`); nobody; unknown: the BMC could not be asked. */
  heldBy: 'dragonfly' | 'other' | 'nobody' | 'unknown';
  /** Dragonfly's own console viewers (UI tabs, CLI), not counting the recorder. */
  viewers: number;
  /** The boot log recorder: recording (holds SOL), waiting to retry, released for this boot, or off. */
  recorder: { state: 'recording' | 'waiting' | 'released' | 'off'; boot?: string; releasedBy?: string };
  holder?: ConsoleHolderInfo;
  /** The same, as one sentence for a person. */
  message: string;
}
