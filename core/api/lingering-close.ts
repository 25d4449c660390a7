import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** How long a refused sender gets to read the answer before the connection is torn down. */
const LINGER_MS = 2_000;

/**
 * Ends the connection after the answer to a request whose body is still arriving, without
 * losing the answer. Closing at once would leave the sender's unread bytes in the kernel's
 * queue: the close then becomes a reset, and a sender that is still writing may see
 * ECONNRESET before it ever reads why it was refused. So, like a web server's "lingering
 * close": stop sending (half-close), keep reading and discarding for a short while, then close.
 */
export function closeAfterAnswer(req: IncomingMessage, setHeader: (name: string, value: string) => void): void {
  setHeader('connection', 'close');
  const socket = req.socket as Socket & { destroySoon?: () => void };
  socket.destroySoon = () => {
    socket.end();
    socket.on('data', () => undefined);
    socket.resume();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}
