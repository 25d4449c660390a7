import { spawn } from 'node:child_process';
import { agentImagePresent, type AgentImageState } from '../app/readiness.ts';

export interface AgentImageJobOptions {
  /** Where the image lives and is built. */
  dir: string;
  /** The builder's command line; it gets `--out DIR` appended. Default: build/agent/build-image.mjs with this Node. */
  command: string[];
  /** Progress lines for the operator (npm start's terminal). */
  out: (line: string) => void;
  clock?: () => number;
}

/** What the builder's exit codes mean (build/agent/build-image.mjs). */
const EXIT_HOST_PROBLEM = 2;

/**
 * Builds the agent boot image in a child process while the control plane already serves
 * (the first build takes minutes), and keeps what a person needs to know about it: present,
 * building since when, or missing and why. The builder decides whether anything changed
 * (its inputs hash), so with an existing image this is a quick "up to date" check.
 */
export class AgentImageJob {
  private current: AgentImageState;
  private readonly done: Promise<AgentImageState>;
  private child: ReturnType<typeof spawn> | undefined;
  private stopping = false;

  constructor(private readonly o: AgentImageJobOptions) {
    const now = o.clock ?? Date.now;
    const present = agentImagePresent(o.dir);
    this.current = present
      ? { state: 'present', detail: 'present; checking whether its inputs changed' }
      : { state: 'building', detail: `being built since ${new Date(now()).toISOString().slice(11, 16)} UTC (the first build takes a few minutes); machines that boot meanwhile are asked to retry`, since: new Date(now()).toISOString() };
    // No line here: serve prints this state with the other readiness facts right after.
    this.done = this.run(now);
  }

  state(): AgentImageState {
    return this.current;
  }

  /** Resolves with the final state once the builder has finished. */
  finished(): Promise<AgentImageState> {
    return this.done;
  }

  /** Ends a running build (the control plane is shutting down); the builder's temp files are its own to clean. */
  stop(): void {
    this.stopping = true;
    this.child?.kill('SIGTERM');
  }

  private run(now: () => number): Promise<AgentImageState> {
    const started = now();
    const [cmd, ...args] = this.o.command;
    return new Promise((resolve) => {
      const child = spawn(cmd!, [...args, '--out', this.o.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      this.child = child;
      const lines: string[] = [];
      const onData = (d: Buffer) => {
        for (const l of d.toString().split('\n').filter(Boolean)) {
          lines.push(l);
          this.onProgress(l);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('error', (e) => resolve(this.finish({ state: 'missing', detail: `missing: the builder did not start (${e.message})` })));
      child.on('close', (code) => resolve(this.finish(this.outcome(code, lines, (now() - started) / 1000))));
    });
  }

  /** Any line but "up to date" means the builder is really building (a rebuild of a stale image included). */
  private onProgress(line: string): void {
    const text = line.replace(/^build-image:\s*/, '');
    if (/^up to date/.test(text) || /^(cannot build|failed)/.test(text)) return;
    if (this.current.state === 'present' && !this.current.since) {
      this.current = { state: 'present', detail: 'present; rebuilding because its inputs changed (the old image is served until then)', since: new Date().toISOString() };
    }
    this.o.out(`agent image: ${text}`);
  }

  private outcome(code: number | null, lines: string[], seconds: number): AgentImageState {
    const last = lines.at(-1)?.replace(/^build-image:\s*/, '') ?? `the builder exited with ${code}`;
    if (code === 0) {
      const upToDate = lines.some((l) => /up to date/.test(l));
      return { state: 'present', detail: upToDate ? 'present (up to date)' : `present (built in ${seconds.toFixed(0)} s)`, seconds: upToDate ? undefined : seconds };
    }
    // A failed rebuild leaves the old image in place: machines still boot.
    if (agentImagePresent(this.o.dir)) return { state: 'present', detail: `present, but the rebuild failed: ${last}` };
    if (code === EXIT_HOST_PROBLEM) return { state: 'missing', detail: `missing: ${last}` };
    return { state: 'missing', detail: `missing: the build failed: ${last} (run npm run build:agent-image to see it all)` };
  }

  private finish(s: AgentImageState): AgentImageState {
    this.child = undefined;
    if (this.stopping) return this.current;
    this.current = s;
    if (s.state === 'present') this.o.out(`agent image: ${s.detail}${s.seconds !== undefined ? '; machines can boot now' : ''}`);
    else this.o.out(`agent image: ${s.detail}`);
    return s;
  }
}
