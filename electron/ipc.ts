/**
 * Main-process side of the preload bridge. Every message is checked twice before anything
 * runs: who sent it (the control plane's page in the top frame, nothing else), and what it
 * carries (exactly the arguments the operation takes). After Electron's security checklist
 * item 17, "Validate the sender of all IPC messages".
 */
import Type, { type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { DragonflyError } from '../core/shared/errors.ts';
import { discardLogger, type Logger } from '../core/shared/logger.ts';
import type { IpcMainInvokeEventLike, IpcMainLike } from './electron-api.ts';
import { ipcChannels, type DragonflyDesktopBridge, type IpcOperation } from './ipc-channels.ts';
import { isOpenableExternally, isSameOrigin } from './navigation.ts';

/** The tuple of arguments each operation accepts; anything else is refused. */
const argumentSchemas = {
  getSession: Type.Tuple([]),
  getAppInfo: Type.Tuple([]),
  openExternal: Type.Tuple([Type.String({ minLength: 1, maxLength: 2048 })]),
  revealDataDir: Type.Tuple([]),
} satisfies Record<IpcOperation, TSchema>;

const argumentCheckers = Object.fromEntries(
  Object.entries(argumentSchemas).map(([op, schema]) => [op, Compile(schema)]),
) as Record<IpcOperation, ReturnType<typeof Compile>>;

export type DesktopOperations = DragonflyDesktopBridge;

/** Why a sender is refused, or undefined when it is the control plane's own top frame. */
export function senderProblem(event: IpcMainInvokeEventLike, allowedOrigin: string): string | undefined {
  const frame = event.senderFrame;
  if (!frame) return 'the sending frame is gone';
  if (frame.parent !== null && frame.parent !== undefined) return 'the message came from a sub-frame';
  if (!isSameOrigin(frame.url, allowedOrigin)) return `the sender ${safeOrigin(frame.url)} is not the control plane`;
  return undefined;
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(not a URL)';
  }
}

export function argumentProblem(op: IpcOperation, args: unknown[]): string | undefined {
  const checker = argumentCheckers[op];
  if (checker.Check(args)) return undefined;
  const first = [...checker.Errors(args)][0];
  return `${op}: arguments rejected (${first ? `${first.instancePath || '/'} ${first.message}` : 'wrong shape'})`;
}

/** One checked handler: the function ipcMain.handle receives. */
export function guardedHandler(op: IpcOperation, allowedOrigin: string, ops: DesktopOperations, log: Logger = discardLogger) {
  return async (event: IpcMainInvokeEventLike, ...args: unknown[]): Promise<unknown> => {
    const who = senderProblem(event, allowedOrigin);
    if (who) {
      log.warn({ op, reason: who }, 'refused an IPC message');
      throw new DragonflyError('DF_ERR_FORBIDDEN', `${op} refused: ${who}`);
    }
    const what = argumentProblem(op, args);
    if (what) {
      log.warn({ op, reason: what }, 'refused an IPC message');
      throw new DragonflyError('DF_ERR_INVALID', what);
    }
    return dispatch(op, args, ops);
  };
}

function dispatch(op: IpcOperation, args: unknown[], ops: DesktopOperations): Promise<unknown> {
  switch (op) {
    case 'getSession':
      return ops.getSession();
    case 'getAppInfo':
      return ops.getAppInfo();
    case 'openExternal': {
      const url = args[0] as string;
      // The schema checked the type; the scheme and credentials are checked here.
      if (!isOpenableExternally(url)) throw new DragonflyError('DF_ERR_INVALID', 'openExternal: only http(s) links without credentials can be opened');
      return ops.openExternal(url);
    }
    case 'revealDataDir':
      return ops.revealDataDir();
  }
}

/** Registers every operation; returns the function that removes them again (on quit). */
export function registerIpc(ipcMain: IpcMainLike, allowedOrigin: string, ops: DesktopOperations, log: Logger = discardLogger): () => void {
  const entries = Object.entries(ipcChannels) as Array<[IpcOperation, string]>;
  for (const [op, channel] of entries) ipcMain.handle(channel, guardedHandler(op, allowedOrigin, ops, log));
  return () => {
    for (const [, channel] of entries) ipcMain.removeHandler(channel);
  };
}
