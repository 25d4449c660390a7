/**
 * One console connection per machine, shared: every viewer (UI tabs, the CLI) and the boot
 * log recorder see the same output, and input from any viewer goes to the machine. A BMC
 * allows one SOL session, so a second Dragonfly viewer must not take it from the first.
 * New viewers get the recent output (scrollback) first. The connection closes when the
 * last viewer leaves.
 */
import type { ConsoleEnd, ConsoleHolder, ConsoleOpener } from './console.ts';
import type { SolConsole } from './ipmi/sol.ts';

/** How a viewer's console ended: as the BMC or SOL says, or released by an operator (`by`) for another client. */
export type HubEnd = ConsoleEnd | { reason: 'released'; by: string };

export interface ConsoleViewer {
  onData(bytes: Uint8Array): void;
  onEnd(end: HubEnd): void;
}

export interface ConsoleAttachment {
  write(bytes: Uint8Array): void;
  sendBreak(): void;
  detach(): Promise<void>;
}

interface Line {
  console: Promise<SolConsole>;
  viewers: Set<ConsoleViewer>;
  scrollback: Uint8Array[];
  scrollbackBytes: number;
}

export interface ConsoleHubOptions {
  open: ConsoleOpener;
  /** Output kept for viewers who attach later, bytes (default 64 KiB; 0 = none). */
  scrollbackBytes?: number;
  /** Sees every byte of output of every machine (boot logs); never input. */
  onOutput?: (machine: string, bytes: Uint8Array) => void;
  /** Asks a machine's BMC who holds its console, without taking it (default: cannot tell). */
  holderOf?: (machine: string) => Promise<ConsoleHolder | undefined>;
}

export class ConsoleHub {
  private readonly lines = new Map<string, Line>();

  constructor(private readonly opts: ConsoleHubOptions) {}

  /**
   * Joins the machine's console, opening it if nobody has; rejects naming another holder.
   * `takeOver` ends another client's console first; `replay` (default true) sends the scrollback.
   */
  async attach(machine: string, viewer: ConsoleViewer, opts: { takeOver?: boolean; replay?: boolean } = {}): Promise<ConsoleAttachment> {
    const takeOver = opts.takeOver ?? false;
    const line = this.lines.get(machine) ?? this.openLine(machine, takeOver);
    line.viewers.add(viewer);
    let sol: SolConsole;
    try {
      sol = await line.console;
    } catch (e) {
      line.viewers.delete(viewer);
      throw e;
    }
    if (opts.replay ?? true) for (const chunk of line.scrollback) viewer.onData(chunk);
    let attached = true;
    return {
      write: (bytes) => attached && sol.write(bytes),
      sendBreak: () => attached && sol.sendBreak(),
      detach: async () => {
        if (!attached) return;
        attached = false;
        line.viewers.delete(viewer);
        if (line.viewers.size === 0 && this.lines.get(machine) === line) {
          this.lines.delete(machine);
          await sol.close();
        }
      },
    };
  }

  /** Machines whose console is open now. */
  get open(): string[] {
    return [...this.lines.keys()];
  }

  /** Who holds `machine`'s console on its BMC, as the BMC says. */
  holderOnBmc(machine: string): Promise<ConsoleHolder | undefined> {
    if (!this.opts.holderOf) return Promise.reject(new Error('this control plane cannot ask BMCs who holds a console'));
    return this.opts.holderOf(machine);
  }

  /** How many viewers (the boot log recorder counts as one) share `machine`'s open console. */
  viewers(machine: string): number {
    return this.lines.get(machine)?.viewers.size ?? 0;
  }

  /**
   * Lets go of `machine`'s console on the BMC so that another client (ipmitool, a BMC's web
   * console) can activate SOL: every viewer is told who released it. IPMI v2.0 gives a
   * holder no signal that someone else wants the console (the BMC just refuses them), so
   * the hand-over is an operator's explicit act. Returns whether Dragonfly held it.
   */
  async release(machine: string, by: string): Promise<boolean> {
    const line = this.lines.get(machine);
    if (!line) return false;
    this.lines.delete(machine);
    const viewers = [...line.viewers];
    line.viewers.clear(); // the SOL's own 'closed' end then reaches nobody twice
    for (const v of viewers) v.onEnd({ reason: 'released', by });
    await line.console.then((c) => c.close(), () => undefined);
    return true;
  }

  async close(): Promise<void> {
    const lines = [...this.lines.values()];
    this.lines.clear();
    await Promise.all(lines.map((l) => l.console.then((c) => c.close(), () => undefined)));
  }

  private openLine(machine: string, takeOver: boolean): Line {
    const line: Line = { viewers: new Set(), scrollback: [], scrollbackBytes: 0, console: undefined! };
    line.console = this.opts.open(machine, {
      onData: (bytes) => this.output(machine, line, bytes),
      onEnd: (end) => {
        if (this.lines.get(machine) === line) this.lines.delete(machine);
        for (const v of line.viewers) v.onEnd(end);
      },
    }, takeOver);
    line.console.catch(() => {
      if (this.lines.get(machine) === line) this.lines.delete(machine);
    });
    this.lines.set(machine, line);
    return line;
  }

  private output(machine: string, line: Line, bytes: Uint8Array): void {
    this.opts.onOutput?.(machine, bytes);
    this.keep(line, bytes);
    for (const v of line.viewers) v.onData(bytes);
  }

  private keep(line: Line, bytes: Uint8Array): void {
    const limit = this.opts.scrollbackBytes ?? 64 * 1024;
    if (limit <= 0) return;
    line.scrollback.push(bytes.slice(-limit));
    line.scrollbackBytes += Math.min(bytes.length, limit);
    while (line.scrollbackBytes > limit) line.scrollbackBytes -= line.scrollback.shift()!.length;
  }
}
