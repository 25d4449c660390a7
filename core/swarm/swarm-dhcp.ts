/**
 * DHCP in a swarm: the DHCP server runs only while this instance leads the segment. Elected:
 * a fresh server is created and started (its pool loads the shared leases from etcd, so it
 * continues where the old leader stopped). Lost: the server is closed at once.
 *
 * Transitions run one at a time, in order, so a quick lost-elected-lost never leaves a
 * server running. A server that fails to start (port in use, interface gone) makes this
 * instance resign, so a healthy instance takes the segment; it campaigns again later.
 */
import type { DhcpServer } from '../dhcp/server.ts';
import { discardLogger, type Logger } from '../shared/logger.ts';
import type { LeaderElection, LeadershipChange } from './leader.ts';

export interface SwarmDhcpOptions {
  election: LeaderElection;
  /** Builds a new, unstarted DHCP server (called on every election; a closed server is never reused). */
  createServer: () => DhcpServer;
  /** After a failed start, wait this long before campaigning again, ms. Default 5000; 0 campaigns at once. */
  retryAfterFailureMs?: number;
  logger?: Logger;
  /** Called after every transition (for health/status). Must not throw. */
  onStateChange?: (s: SwarmDhcpState) => void;
}

export interface SwarmDhcpState {
  leader: boolean;
  /** A DHCP server is started on this instance right now. */
  serving: boolean;
  /** Why we are in this state ("elected", "lease lost: ...", "start failed: ..."). */
  detail: string;
}

export interface SwarmDhcp {
  /** Begins campaigning; DHCP starts when elected. */
  start(): void;
  /** Stops DHCP, resigns (a follower takes over within about one poll), stops campaigning. */
  close(): Promise<void>;
  state(): SwarmDhcpState;
}

export function createSwarmDhcp(opts: SwarmDhcpOptions): SwarmDhcp {
  const log = (opts.logger ?? discardLogger).child({ component: 'swarm-dhcp' });
  const { election } = opts;
  let server: DhcpServer | undefined;
  let state: SwarmDhcpState = { leader: false, serving: false, detail: 'not started' };
  let queue: Promise<void> = Promise.resolve();
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  /** Kept as the detail until a server runs again, so the status page still says why DHCP is off. */
  let lastFailure: string | undefined;

  const set = (s: SwarmDhcpState) => {
    state = s;
    try {
      opts.onStateChange?.(s);
    } catch (err) {
      log.warn({ err }, 'onStateChange threw');
    }
  };

  /** Runs transitions strictly one after another. */
  const enqueue = (fn: () => Promise<void>) => (queue = queue.then(fn, fn));

  async function serve(): Promise<void> {
    if (!election.isLeader || server || closed) return; // lost again before we got here
    const s = opts.createServer();
    try {
      await s.start();
    } catch (e) {
      await s.close().catch(() => {});
      return startFailed((e as Error).message);
    }
    if (!election.isLeader || closed) {
      await s.close(); // leadership ended while binding
      return;
    }
    server = s;
    lastFailure = undefined;
    set({ leader: true, serving: true, detail: 'elected: serving DHCP' });
    log.info('DHCP serving on this instance (leader)');
  }

  async function startFailed(message: string): Promise<void> {
    log.error({ err: message }, 'DHCP failed to start although elected; resigning so another instance serves');
    lastFailure = `start failed: ${message}`;
    set({ leader: false, serving: false, detail: lastFailure });
    await election.resign();
    if (closed) return;
    retryTimer = setTimeout(() => !closed && election.campaign(), opts.retryAfterFailureMs ?? 5000);
  }

  async function stop(reason: string): Promise<void> {
    const s = server;
    server = undefined;
    if (s) {
      await s.close();
      log.warn(`DHCP stopped on this instance: ${reason}`);
    }
    set({ leader: election.isLeader, serving: false, detail: !s && lastFailure ? lastFailure : reason });
  }

  function onChange(c: LeadershipChange): void {
    if (c.leader) enqueue(serve);
    else enqueue(() => stop(c.reason));
  }

  return {
    start() {
      if (unsubscribe || closed) return;
      unsubscribe = election.onLeadershipChange(onChange);
      set({ leader: false, serving: false, detail: 'campaigning' });
      election.campaign();
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      await enqueue(() => stop('shutting down'));
      await election.resign();
      unsubscribe?.();
    },
    state: () => ({ ...state }),
  };
}
