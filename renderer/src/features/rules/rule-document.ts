import { stringify } from 'yaml';
import type { Rule, RuleSpec } from '../../../../core/model/rule.ts';
import { priorityOf, ruleOrder } from '../../../../core/model/rule-order.ts';

export { priorityOf };

/** Rules as the server tries them (core/model/rule-order.ts, the same function). */
export function inRunOrder(rules: readonly Rule[]): Rule[] {
  return [...rules].sort(ruleOrder);
}

/** A rule as an operator edits it: no server-owned fields. */
export function ruleToYaml(r: Rule): string {
  const { name, labels } = r.metadata;
  return stringify({ apiVersion: r.apiVersion, kind: r.kind, metadata: { name, ...(labels && Object.keys(labels).length ? { labels } : {}) }, spec: r.spec }, { lineWidth: 0 });
}

export const starterRule = `apiVersion: dragonfly.computer/v1
kind: Rule
metadata:
  name: rack-a-workers
spec:
  priority: 10            # lower runs first; ties by name; the first match wins
  match:
    serial: "RACK-A-*"    # glob: * any, ? one character
    macPrefix: "52:54:00"
  expect:                 # a machine that falls short goes to Error, nothing is written
    memoryGiB: 2
    disks: { atLeast: 1 }
  action:
    labels: { role: worker }
    template: debian-12
`;

function entries(o: object | undefined): string[] {
  return Object.entries(o ?? {}).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
}

/** One line each for the list: what the rule matches, expects and does. */
export function ruleSummary(spec: RuleSpec): { match: string; expect: string; action: string } {
  const a = spec.action ?? {};
  const action = [
    ...(a.labels ? [`labels ${Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(',')}`] : []),
    ...(a.requireApproval ? ['require approval'] : []),
    ...(a.template ? [`assign ${a.template}`] : []),
  ];
  return { match: entries(spec.match).join('; ') || 'every machine', expect: entries(spec.expect).join('; ') || '—', action: action.join('; ') || 'nothing' };
}
