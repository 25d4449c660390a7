import { describe, expect, it } from 'vitest';
import type { Hardware, HardwareFacts } from '../model/hardware.ts';
import { API_VERSION } from '../model/meta.ts';
import type { Rule, RuleExpect, RuleMatch, RuleSpec } from '../model/rule.ts';
import { validateObject } from '../model/kinds.ts';
import { expectationShortfalls, firstMatchingRule, globMatches, matchRule } from './rule-match.ts';

const GiB = 1024 ** 3;

function facts(over: Partial<HardwareFacts> = {}): HardwareFacts {
  return {
    cpu: { model: 'Xeon', sockets: 2, cores: 8, threads: 16 },
    memoryBytes: 64 * GiB,
    disks: [
      { name: 'sda', path: '/dev/sda', sizeBytes: 480 * GiB },
      { name: 'sdb', path: '/dev/sdb', sizeBytes: 4000 * GiB },
    ],
    nics: [
      { name: 'eno1', mac: '3c:ec:ef:00:00:01', speedMbps: 10000 },
      { name: 'eno2', mac: '3c:ec:ef:00:00:02', speedMbps: 1000 },
    ],
    dmi: { vendor: 'Supermicro', product: 'SYS-1029P-WTR', serial: 'S-RACK4-017' },
    firmware: 'uefi',
    ...over,
  };
}

function machine(f: HardwareFacts = facts(), labels?: Record<string, string>): Hardware {
  return { apiVersion: API_VERSION, kind: 'Hardware', metadata: { name: 'm', ...(labels ? { labels } : {}) }, spec: { macs: f.nics.map((n) => n.mac), facts: f }, status: { state: 'Registered' } };
}

function rule(name: string, spec: RuleSpec): Rule {
  return { apiVersion: API_VERSION, kind: 'Rule', metadata: { name }, spec };
}

describe('glob patterns', () => {
  it.each([
    ['S-RACK4-*', 'S-RACK4-017', true],
    ['s-rack4-*', 'S-RACK4-017', true], // DMI case varies by vendor
    ['S-RACK4-0??', 'S-RACK4-017', true],
    ['S-RACK4-0?', 'S-RACK4-017', false],
    ['SYS-1029P.*', 'SYS-1029P-WTR', false], // a dot is literal, not a regex
    ['*', '', true],
    ['(a|b)', 'a', false],
  ])('%s ~ %s is %s', (pattern, value, want) => {
    expect(globMatches(pattern, value)).toBe(want);
  });
});

describe('matching a machine', () => {
  const cases: Array<[string, RuleMatch, boolean | string]> = [
    ['empty match matches all', {}, true],
    ['serial glob', { serial: 'S-RACK4-*' }, true],
    ['serial glob, other rack', { serial: 'S-RACK5-*' }, 'serial "S-RACK4-017" ~ "S-RACK5-*"'],
    ['product and vendor', { product: 'SYS-1029P-*', vendor: 'supermicro' }, true],
    ['vendor differs', { vendor: 'Dell*' }, 'vendor "Supermicro" ~ "Dell*"'],
    ['OUI prefix on the second NIC form', { macPrefix: '3C-EC-EF' }, true],
    ['OUI prefix absent', { macPrefix: '52:54:00' }, 'mac 3c:ec:ef:00:00:01 starts with 52:54:00'],
    ['cpus in range', { cpus: { min: 16, max: 16 } }, true],
    ['cpus too few', { cpus: { min: 32 } }, 'cpus 16 in ≥ 32'],
    ['memory range', { memoryGiB: { min: 32, max: 128 } }, true],
    ['memory too much', { memoryGiB: { max: 32 } }, 'memoryGiB 64.0 GiB in ≤ 32 GiB'],
    ['disk count', { disks: { min: 2, max: 2 } }, true],
    ['largest disk', { diskGiB: { min: 1000 } }, true],
    ['firmware', { firmware: 'bios' }, 'firmware uefi = bios'],
    ['label present', { labels: { rack: 'r4' } }, true],
    ['label missing', { labels: { rack: 'r5' } }, 'label rack=r4 = r5'],
  ];
  it.each(cases)('%s', (_name, m, want) => {
    const r = matchRule(m, machine(facts(), { rack: 'r4' }));
    if (want === true) expect(r.matched).toBe(true);
    else expect(r).toEqual({ matched: false, failed: want });
  });

  it('says which fields matched', () => {
    const r = matchRule({ serial: 'S-RACK4-*', firmware: 'uefi' }, machine());
    expect(r).toEqual({ matched: true, reasons: ['serial "S-RACK4-017" ~ "S-RACK4-*"', 'firmware uefi = uefi'] });
  });

  it('a machine without facts matches nothing', () => {
    expect(matchRule({}, { ...machine(), spec: { macs: ['3c:ec:ef:00:00:01'] } }).matched).toBe(false);
  });
});

describe('rule order: priority ascending, ties by name, first match wins', () => {
  it('picks the lowest priority among those that match', () => {
    const rules = [
      rule('catch-all', { priority: 1000 }),
      rule('rack5', { priority: 1, match: { serial: 'S-RACK5-*' } }),
      rule('rack4-b', { priority: 10, match: { serial: 'S-RACK4-*' } }),
      rule('rack4-a', { priority: 10, match: { serial: 'S-RACK4-*' } }),
    ];
    expect(firstMatchingRule(rules, machine())?.rule.metadata.name).toBe('rack4-a');
  });
  it('a rule without a priority sits at 100', () => {
    const rules = [rule('late', { priority: 101 }), rule('default', {})];
    expect(firstMatchingRule(rules, machine())?.rule.metadata.name).toBe('default');
  });
  it('no match: undefined', () => {
    expect(firstMatchingRule([rule('x', { match: { vendor: 'Dell' } })], machine())).toBeUndefined();
  });
});

describe('expected parts: one phrase per difference', () => {
  const cases: Array<[string, RuleExpect, Partial<HardwareFacts>, string[]]> = [
    ['everything there', { cpus: { atLeast: 8 }, memoryGiB: 64, disks: { atLeast: 2 }, firmware: 'uefi' }, {}, []],
    ['memory short', { memoryGiB: 2 }, { memoryBytes: 1 * GiB }, ['memory 1.0 GiB, expected ≥ 2 GiB']],
    ['memory and disks short', { memoryGiB: 2, disks: { atLeast: 2 } }, { memoryBytes: 1 * GiB, disks: [{ name: 'vda', path: '/dev/vda', sizeBytes: 8 * GiB }] }, ['memory 1.0 GiB, expected ≥ 2 GiB', 'disks 1, expected ≥ 2']],
    ['cpus exactly', { cpus: { exactly: 32 } }, {}, ['cpus 16, expected exactly 32']],
    ['disks of a size', { disks: { atLeast: 2, minSizeGiB: 1000 } }, {}, ['disks of ≥ 1000 GiB: 1, expected ≥ 2']],
    ['NIC speeds', { nics: { atLeast: 2, minSpeedMbps: 10000 } }, {}, ['NICs of ≥ 10000 Mbit/s: 1, expected ≥ 2']],
    ['firmware', { firmware: 'bios' }, {}, ['firmware uefi, expected bios']],
    ['Secure Boot off', { secureBoot: true }, { secureBoot: false }, ['Secure Boot off, expected on']],
    ['Secure Boot not reported', { secureBoot: true }, {}, ['Secure Boot not reported, expected on']],
    ['Secure Boot as expected', { secureBoot: true }, { secureBoot: true }, []],
  ];
  it.each(cases)('%s', (_name, e, over, want) => {
    expect(expectationShortfalls(e, facts(over))).toEqual(want);
  });
});

describe('the Rule kind', () => {
  it('validates a full rule and names a bad field', () => {
    const ok = rule('r', { priority: 5, match: { serial: 'A*', macPrefix: '52:54:00' }, expect: { memoryGiB: 2 }, action: { labels: { a: 'b' }, template: 't', variables: { x: 'y' } } });
    expect(validateObject(ok).kind).toBe('Rule');
    expect(() => validateObject(rule('r', { match: { macPrefix: 'zz' } }))).toThrow(/\/spec\/match\/macPrefix/);
    expect(() => validateObject(rule('r', { action: { colour: 'red' } as never }))).toThrow(/\/spec\/action.*colour/);
  });
});
