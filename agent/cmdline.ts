import { isMac, parseMac } from '../core/shared/mac.ts';

export const agentModes = ['discovery', 'imaging', 'snapshot'] as const;
export type AgentMode = (typeof agentModes)[number];

/** What the control plane's boot script put on the kernel command line for us. */
export interface BootParams {
  /** dragonfly.url: base URL of the control plane, e.g. http://10.77.0.1:8080 (no trailing slash). */
  url: string;
  /** dragonfly.token: short-lived enrolment token bound to the boot MAC. */
  token: string;
  /** dragonfly.mac: the MAC the machine PXE-booted from, canonical lower-case colon form. */
  mac: string;
  /**
   * dragonfly.mode: default discovery; snapshot prints the hardware snapshot and powers off
   * (fixture recording, set by hand). The control plane's script never sets it: what to do is
   * the `next` in its reply to register and heartbeat.
   */
  mode: AgentMode;
}

export type ParseResult = { ok: true; params: BootParams } | { ok: false; error: string };

/**
 * Split /proc/cmdline into key -> value. Like the kernel (lib/cmdline.c next_arg), a value
 * may be double-quoted to hold spaces; a bare word maps to ''. Later duplicates win.
 */
export function splitCmdline(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([^\s=]+)(?:=("[^"]*"?|\S*))?/g;
  for (const m of text.matchAll(re)) {
    const raw = m[2] ?? '';
    out.set(m[1], raw.startsWith('"') ? raw.replace(/^"|"$/g, '') : raw);
  }
  return out;
}

/** The dragonfly.* parameters, or the first thing wrong with them, named for the console. */
export function parseBootParams(text: string): ParseResult {
  const args = splitCmdline(text);
  const url = args.get('dragonfly.url')?.replace(/\/+$/, '');
  const token = args.get('dragonfly.token');
  const mac = args.get('dragonfly.mac');
  const mode = args.get('dragonfly.mode') || 'discovery';
  if (!url || !/^https?:\/\/[^/\s]+/.test(url)) return fail(`dragonfly.url missing or not http(s): "${url ?? ''}"`);
  if (mode !== 'snapshot' && !token) return fail('dragonfly.token missing');
  if (mode !== 'snapshot' && (!mac || !isMac(mac))) return fail(`dragonfly.mac missing or not a MAC: "${mac ?? ''}"`);
  if (!(agentModes as readonly string[]).includes(mode)) return fail(`dragonfly.mode "${mode}" is not one of ${agentModes.join(', ')}`);
  return {
    ok: true,
    params: { url, token: token ?? '', mac: mac && isMac(mac) ? parseMac(mac) : '', mode: mode as AgentMode },
  };
}

function fail(error: string): ParseResult {
  return { ok: false, error };
}
