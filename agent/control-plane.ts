/**
 * Which control plane the agent talks to, and moving to another when it dies (swarm mode,
 * issue 18). The kernel command line names the instance that answered the machine's boot; in a
 * swarm the DHCP leader is the instance that answers, and when it dies another instance takes the
 * lead within seconds (core/swarm). So when the current control plane cannot be reached, the agent
 * asks DHCP again: a server that answers now and is not the dead one is where the agent goes,
 * on the same port and scheme. Every URL the agent was given on the old instance (its API, the
 * image it is writing) is moved to the new one, so a download resumes there.
 */
import type { FetchFn } from './api.ts';
import type { HttpGet } from './actions/http-get.ts';

/** Finds the address of the DHCP server that answers now (agent/dhcp-probe.ts), or undefined. */
export type ServerFinder = () => Promise<string | undefined>;

export interface ControlPlaneOptions {
  /** dragonfly.url from the kernel command line. */
  url: string;
  find: ServerFinder;
  say?: (line: string) => void;
  /** A failed probe is not repeated sooner than this, ms (every failing call would ask otherwise). Default 3000. */
  minGapMs?: number;
  now?: () => number;
  /** Default the global fetch. */
  fetch?: FetchFn;
}

/** Connection-level failures only: an instance that answers, even with 5xx, is alive and stays. */
export function isUnreachable(err: unknown): boolean {
  const e = err as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  const code = e?.code ?? e?.cause?.code;
  if (e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError') return true;
  return ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'].includes(code ?? '');
}

export class ControlPlane {
  private base: URL;
  /** Every origin this agent was sent to; a URL on any of them is moved to the current one. */
  private readonly formerOrigins = new Set<string>();
  private switching: Promise<boolean> | undefined;
  private lastProbe = -Infinity;
  /** Run after a switch, before the call that failed is retried (the workflow runner makes the new instance fetch the image). */
  private readonly afterSwitch = new Set<(url: string) => Promise<void>>();

  constructor(private readonly o: ControlPlaneOptions) {
    this.base = new URL(o.url);
  }

  /** The current base URL, without a trailing slash. */
  get url(): string {
    return this.base.origin + this.base.pathname.replace(/\/+$/, '');
  }

  /** `url` moved to the current control plane when it points at one the agent left. */
  rebase(url: string): string {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return url;
    }
    if (!this.formerOrigins.has(u.origin)) return url;
    return this.base.origin + u.pathname + u.search;
  }

  /** Registers work to do on the new instance after a switch; returns the way to remove it. */
  onSwitch(fn: (url: string) => Promise<void>): () => void {
    this.afterSwitch.add(fn);
    return () => this.afterSwitch.delete(fn);
  }

  /**
   * The current instance could not be reached: asks DHCP which server answers now and moves there
   * when it is another. One probe at a time (callers share it), none sooner than minGapMs after the last.
   */
  failover(why: string): Promise<boolean> {
    this.switching ??= this.probe(why).finally(() => (this.switching = undefined));
    return this.switching;
  }

  /** fetch that follows the control plane: URLs are rebased, and an unreachable instance starts a failover. */
  readonly fetch: FetchFn = async (url, init) => {
    try {
      return await (this.o.fetch ?? fetch)(this.rebase(url), init);
    } catch (err) {
      if (isUnreachable(err)) await this.failover(`${new URL(this.rebase(url)).origin}: ${codeOf(err)}`);
      throw err;
    }
  };

  /** The same for image downloads. */
  httpGet(get: HttpGet): HttpGet {
    return async (url, headers) => {
      try {
        return await get(this.rebase(url), headers);
      } catch (err) {
        if (isUnreachable(err)) await this.failover(`${new URL(this.rebase(url)).origin}: ${codeOf(err)}`);
        throw err;
      }
    };
  }

  private async probe(why: string): Promise<boolean> {
    const now = (this.o.now ?? Date.now)();
    if (now - this.lastProbe < (this.o.minGapMs ?? 3000)) return false;
    this.lastProbe = now;
    const ip = await this.o.find().catch(() => undefined);
    if (!ip || ip === this.base.hostname) {
      this.o.say?.(`control plane ${this.base.origin} unreachable (${why}); DHCP names ${ip ?? 'no server'} yet`);
      return false;
    }
    const old = this.base.origin;
    this.formerOrigins.add(old);
    const next = new URL(this.base.href);
    next.hostname = ip;
    this.base = next;
    this.formerOrigins.delete(next.origin);
    this.o.say?.(`control plane ${old} unreachable (${why}); DHCP is answered by ${ip}: continuing with ${this.url}`);
    for (const fn of this.afterSwitch) await fn(this.url).catch((e: Error) => this.o.say?.(`after switching to ${this.url}: ${e.message}`));
    return true;
  }
}

function codeOf(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { code?: string } };
  return e?.code ?? e?.cause?.code ?? e?.message ?? String(err);
}
