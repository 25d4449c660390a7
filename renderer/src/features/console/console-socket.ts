/**
 * The console WebSocket of one machine (GET /api/v1/machines/{name}/console): binary frames
 * are the console's bytes, text frames JSON messages (core/contract/console.ts). The
 * browser sends the session cookie with the upgrade (the server checks it came from its own
 * origin); a token session (the desktop app) offers its token as a subprotocol.
 */
import type { ConsoleBearerProtocol, ConsoleProtocol, ConsoleServerMessage } from '../../../../core/contract/console.ts';
import { apiToken } from '../../shared/api-client.ts';

export interface ConsoleSocketHandlers {
  onData(bytes: Uint8Array): void;
  onMessage(m: ConsoleServerMessage): void;
  /** The socket closed (after an 'ended' or 'error' message, or the network dropped it). */
  onClose(): void;
}

export interface ConsoleSocket {
  send(text: string): void;
  sendBreak(): void;
  close(): void;
}

export function consoleUrl(machine: string, takeOver: boolean, base: string = window.location.href): string {
  const url = new URL(`api/v1/machines/${encodeURIComponent(machine)}/console`, new URL('/', base));
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (takeOver) url.searchParams.set('takeOver', '1');
  return url.toString();
}

export function openConsoleSocket(machine: string, takeOver: boolean, h: ConsoleSocketHandlers): ConsoleSocket {
  const token = apiToken();
  const protocols: Array<ConsoleProtocol | ConsoleBearerProtocol> = token ? ['dragonfly.console', `dragonfly.bearer.${token}`] : ['dragonfly.console'];
  const ws = new WebSocket(consoleUrl(machine, takeOver), protocols);
  ws.binaryType = 'arraybuffer';
  const encoder = new TextEncoder();
  ws.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
    if (typeof e.data === 'string') h.onMessage(JSON.parse(e.data) as ConsoleServerMessage);
    else h.onData(new Uint8Array(e.data));
  };
  ws.onclose = () => h.onClose();
  const open = () => ws.readyState === WebSocket.OPEN;
  return {
    send: (text) => open() && ws.send(encoder.encode(text)),
    sendBreak: () => open() && ws.send(JSON.stringify({ type: 'break' })),
    close: () => ws.close(),
  };
}
