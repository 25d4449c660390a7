import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ServiceHealth } from '../api/system-plugin.ts';
import type { Surface } from '../api/surfaces.ts';
import type { Logger } from '../shared/logger.ts';

/**
 * The second HTTP listener: the boot surface on the provisioning interface's address. It
 * hands requests to the same Fastify app (one set of routes and hooks), marking them so the
 * surface guard lets only boot routes through. Rebinds when the interface changes; failing to
 * bind (address gone, port taken) is its health, never fatal.
 */
export class BootListener {
  private server: Server | undefined;
  private readonly bootRequests = new WeakSet<IncomingMessage>();
  private state: ServiceHealth = { ok: true, detail: 'off: no provisioning interface address' };

  /** `routing` is the Fastify app's request entry (app.routing), looked up per request: the app is built after this. */
  constructor(
    private readonly routing: () => FastifyInstance['routing'],
    private readonly log: Logger,
  ) {}

  /** The surface of a request: boot on this listener, `operatorSurface` on the main one. */
  surfaceOf(raw: IncomingMessage, operatorSurface: Surface): Surface {
    return this.bootRequests.has(raw) ? 'boot' : operatorSurface;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  health(): ServiceHealth {
    return this.state;
  }

  async moveTo(address: string | undefined, port: number): Promise<void> {
    await this.close();
    if (!address) {
      this.state = { ok: true, detail: 'off: no provisioning interface address' };
      return;
    }
    const server = createServer((req, res) => {
      this.bootRequests.add(req);
      this.routing()(req, res);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: address, port }, () => resolve());
      });
      server.on('error', (e) => this.log.warn({ err: e.message }, 'boot listener error'));
      this.server = server;
      this.state = { ok: true, detail: `${address}:${port} (boot routes only)` };
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      this.state = { ok: false, detail: `${address}:${port}`, error: `boot listener could not bind ${address}:${port}: ${err.code ?? err.message}` };
      this.log.warn({ address, port, err: err.message }, 'boot listener not started');
    }
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
