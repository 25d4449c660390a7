import type { Hardware, HardwareFacts } from '../model/hardware.ts';
import { ruleOrder, type Rule, type RuleExpect, type RuleMatch } from '../model/rule.ts';

/**
 * Pure rule evaluation (issue 17): which rule a registered machine falls under and why, and
 * what it lacks of the rule's expected parts. No store, no clock: inventory/rules.ts acts on it.
 */

const GiB = 1024 ** 3;

/** One line per field that matched, for the machine's timeline ("serial SN-1 ~ SN-*"). */
export type MatchResult = { matched: true; reasons: string[] } | { matched: false; failed: string };

/** `*` any run, `?` one character, everything else literal; case-insensitive (DMI strings vary in case by vendor). */
export function globMatches(pattern: string, value: string): boolean {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'is').test(value);
}

function normalisePrefix(prefix: string): string {
  return prefix.toLowerCase().replaceAll('-', ':');
}

/** Logical CPUs as the OS counts them (nproc); what "4 CPUs" means on a purchase order for VMs and servers alike. */
export function cpuCount(facts: HardwareFacts): number {
  return facts.cpu.threads || facts.cpu.cores * Math.max(1, facts.cpu.sockets);
}

function largestDiskBytes(facts: HardwareFacts): number {
  return facts.disks.reduce((m, d) => Math.max(m, d.sizeBytes), 0);
}

export function formatGiB(bytes: number): string {
  return `${(bytes / GiB).toFixed(1)} GiB`;
}

function inRange(value: number, r: { min?: number; max?: number }): boolean {
  return (r.min === undefined || value >= r.min) && (r.max === undefined || value <= r.max);
}

function rangeText(r: { min?: number; max?: number }, unit = ''): string {
  if (r.min !== undefined && r.max !== undefined) return `${r.min}-${r.max}${unit}`;
  return r.min !== undefined ? `≥ ${r.min}${unit}` : `≤ ${r.max}${unit}`;
}

type Check = { field: string; holds: boolean; text: string };

function textChecks(m: RuleMatch, facts: HardwareFacts): Check[] {
  const out: Check[] = [];
  const glob = (field: keyof RuleMatch & string, pattern: string | undefined, value: string | undefined) => {
    if (pattern !== undefined) out.push({ field, holds: value !== undefined && globMatches(pattern, value), text: `${field} "${value ?? '(none)'}" ~ "${pattern}"` });
  };
  glob('serial', m.serial, facts.dmi.serial);
  glob('product', m.product, facts.dmi.product);
  glob('vendor', m.vendor, facts.dmi.vendor);
  if (m.firmware) out.push({ field: 'firmware', holds: facts.firmware === m.firmware, text: `firmware ${facts.firmware} = ${m.firmware}` });
  return out;
}

function numberChecks(m: RuleMatch, facts: HardwareFacts): Check[] {
  const out: Check[] = [];
  const num = (field: string, r: { min?: number; max?: number } | undefined, value: number, shown: string, unit = '') => {
    if (r) out.push({ field, holds: inRange(value, r), text: `${field} ${shown} in ${rangeText(r, unit)}` });
  };
  num('cpus', m.cpus, cpuCount(facts), String(cpuCount(facts)));
  num('memoryGiB', m.memoryGiB, facts.memoryBytes / GiB, formatGiB(facts.memoryBytes), ' GiB');
  num('disks', m.disks, facts.disks.length, String(facts.disks.length));
  num('diskGiB', m.diskGiB, largestDiskBytes(facts) / GiB, `${formatGiB(largestDiskBytes(facts))} (largest)`, ' GiB');
  return out;
}

function identityChecks(m: RuleMatch, hw: Hardware): Check[] {
  const out: Check[] = [];
  if (m.macPrefix) {
    const prefix = normalisePrefix(m.macPrefix);
    const mac = hw.spec.macs.find((x) => x.startsWith(prefix));
    out.push({ field: 'macPrefix', holds: Boolean(mac), text: `mac ${mac ?? hw.spec.macs[0]} starts with ${prefix}` });
  }
  for (const [key, want] of Object.entries(m.labels ?? {})) {
    const have = hw.metadata.labels?.[key];
    out.push({ field: `labels.${key}`, holds: have === want, text: `label ${key}=${have ?? '(unset)'} = ${want}` });
  }
  return out;
}

/** Does `match` hold for the machine; every field given must. A machine without facts matches nothing. */
export function matchRule(m: RuleMatch | undefined, hw: Hardware): MatchResult {
  const facts = hw.spec.facts;
  if (!facts) return { matched: false, failed: 'no facts registered' };
  const checks = [...textChecks(m ?? {}, facts), ...numberChecks(m ?? {}, facts), ...identityChecks(m ?? {}, hw)];
  const miss = checks.find((c) => !c.holds);
  if (miss) return { matched: false, failed: miss.text };
  return { matched: true, reasons: checks.length ? checks.map((c) => c.text) : ['matches every machine'] };
}

/** The first rule, in rule order, whose match holds; with the reasons for the timeline. */
export function firstMatchingRule(rules: readonly Rule[], hw: Hardware): { rule: Rule; reasons: string[] } | undefined {
  for (const rule of [...rules].sort(ruleOrder)) {
    const r = matchRule(rule.spec.match, hw);
    if (r.matched) return { rule, reasons: r.reasons };
  }
  return undefined;
}

function countShortfall(what: string, have: number, c: { atLeast?: number; exactly?: number }): string | undefined {
  if (c.exactly !== undefined) return have === c.exactly ? undefined : `${what} ${have}, expected exactly ${c.exactly}`;
  if (c.atLeast !== undefined && have < c.atLeast) return `${what} ${have}, expected ≥ ${c.atLeast}`;
  return undefined;
}

function diskShortfall(e: NonNullable<RuleExpect['disks']>, facts: HardwareFacts): string | undefined {
  const min = e.minSizeGiB;
  const counted = min === undefined ? facts.disks.length : facts.disks.filter((d) => d.sizeBytes >= min * GiB).length;
  return countShortfall(min === undefined ? 'disks' : `disks of ≥ ${min} GiB:`, counted, e);
}

function nicShortfall(e: NonNullable<RuleExpect['nics']>, facts: HardwareFacts): string | undefined {
  const min = e.minSpeedMbps;
  const counted = min === undefined ? facts.nics.length : facts.nics.filter((n) => (n.speedMbps ?? 0) >= min).length;
  return countShortfall(min === undefined ? 'NICs' : `NICs of ≥ ${min} Mbit/s:`, counted, { atLeast: e.atLeast ?? 1 });
}

/**
 * Every way the machine falls short of `expect`, one phrase each
 * ("memory 1.0 GiB, expected ≥ 2 GiB"); empty when it has everything.
 */
export function expectationShortfalls(e: RuleExpect | undefined, facts: HardwareFacts): string[] {
  if (!e) return [];
  const out: Array<string | undefined> = [];
  if (e.cpus) out.push(countShortfall('cpus', cpuCount(facts), e.cpus));
  if (e.memoryGiB !== undefined && facts.memoryBytes < e.memoryGiB * GiB) out.push(`memory ${formatGiB(facts.memoryBytes)}, expected ≥ ${e.memoryGiB} GiB`);
  if (e.disks) out.push(diskShortfall(e.disks, facts));
  if (e.nics) out.push(nicShortfall(e.nics, facts));
  if (e.firmware && facts.firmware !== e.firmware) out.push(`firmware ${facts.firmware}, expected ${e.firmware}`);
  if (e.secureBoot !== undefined && facts.secureBoot !== e.secureBoot) out.push(`Secure Boot ${onOff(facts.secureBoot)}, expected ${onOff(e.secureBoot)}`);
  return out.filter((x): x is string => x !== undefined);
}

const onOff = (b: boolean | undefined) => (b === undefined ? 'not reported' : b ? 'on' : 'off');
