import { isAwaitingApproval, type Hardware } from '../model/hardware.ts';
import { appendHistory } from '../model/boot-history.ts';
import { transition } from '../model/lifecycle.ts';
import type { Rule } from '../model/rule.ts';
import { mutate } from '../store/mutate.ts';
import type { Store } from '../store/store.ts';
import { holdForApproval } from './approval.ts';
import { expectationShortfalls, firstMatchingRule } from './rule-match.ts';
import type { InventoryNotification } from './registration.ts';

/** The condition that records which rule a machine fell under (reason: the rule's name). */
export const RULE_MATCHED = 'RuleMatched';

/** Annotation naming the rule that held a machine for approval. */
const HELD_BY = 'dragonfly.computer/held-by-rule';

export interface RuleAssignment {
  template: string;
  machine: string;
  variables?: Record<string, string>;
}

export interface RuleServiceDeps {
  store: Store;
  /** Creates the workflow (the workflow engine's assign, wired by core/app); resolves with an error message when refused. */
  assign: (a: RuleAssignment) => Promise<{ workflow?: string; error?: string }>;
  notify?: (n: InventoryNotification) => void;
}

type Matched = { rule: Rule; reasons: string[] };

/**
 * Zero-touch rules at registration (issue 17): the first matching rule's expected parts are
 * checked, then its action runs. Only a machine that is Registered is touched: one already
 * Assigned, Provisioning, Ready or in Error is never re-imaged or re-judged by a rule.
 */
export class RuleService {
  private readonly notify: (n: InventoryNotification) => void;

  constructor(private readonly deps: RuleServiceDeps) {
    this.notify = deps.notify ?? (() => {});
  }

  /** Applies the rules to a machine that just registered; returns the machine as it now is. */
  async afterRegistration(hw: Hardware): Promise<Hardware> {
    if (hw.status?.state !== 'Registered' || isAwaitingApproval(hw) || !hw.spec.facts) return hw;
    const { items } = await this.deps.store.list<Rule>('Rule');
    if (!items.length) return hw;
    const found = firstMatchingRule(items, hw);
    if (!found) return this.record(hw.metadata.name, (m) => appendHistory(m, 'rule', `no rule matched (${items.length} tried)`));
    const shortfalls = expectationShortfalls(found.rule.spec.expect, hw.spec.facts);
    if (shortfalls.length) return this.refuse(hw, found, shortfalls);
    return this.act(hw, found);
  }

  /** Falls short of the expected parts: Error, before any workflow exists (nothing touches its disks). */
  private async refuse(hw: Hardware, found: Matched, shortfalls: string[]): Promise<Hardware> {
    const name = found.rule.metadata.name;
    const message = `rule ${name}: ${shortfalls.join('; ')}`;
    const updated = await this.record(hw.metadata.name, (m) => {
      markMatched(m, found);
      m.status!.state = transition(m.status!.state, 'expectationsFailed');
      m.status!.message = message;
      appendHistory(m, 'rule', `expected parts missing: ${shortfalls.join('; ')}`);
    });
    this.notify({ level: 'error', title: `${label(hw)}: expected parts missing`, body: message, machine: hw.metadata.name });
    return updated;
  }

  private async act(hw: Hardware, found: Matched): Promise<Hardware> {
    const action = found.rule.spec.action ?? {};
    const approvedBefore = wasHeldBy(hw, found.rule) && !isAwaitingApproval(hw);
    const hold = Boolean(action.requireApproval) && !approvedBefore;
    const updated = await this.record(hw.metadata.name, (m) => {
      markMatched(m, found);
      if (action.labels) m.metadata.labels = { ...m.metadata.labels, ...action.labels };
      if (hold) {
        m.metadata.annotations = { ...m.metadata.annotations, [HELD_BY]: found.rule.metadata.name };
        holdForApproval(m);
      }
    });
    if (hold) {
      this.notify({ level: 'info', title: `${label(hw)} awaits approval`, body: `rule ${found.rule.metadata.name} requires approval`, machine: hw.metadata.name });
      return updated;
    }
    if (!action.template) return updated;
    return this.assign(updated, found.rule, action.template);
  }

  private async assign(hw: Hardware, rule: Rule, template: string): Promise<Hardware> {
    const machine = hw.metadata.name;
    const variables = rule.spec.action?.variables;
    const res = await this.deps.assign({ template, machine, ...(variables ? { variables } : {}) }).catch((e: Error) => ({ error: e.message, workflow: undefined }));
    if (res.workflow) return this.deps.store.get<Hardware>('Hardware', machine);
    const why = `rule ${rule.metadata.name} could not assign template ${template}: ${res.error ?? 'refused'}`;
    this.notify({ level: 'error', title: `${label(hw)}: rule assignment failed`, body: why, machine });
    return this.record(machine, (m) => appendHistory(m, 'rule', why));
  }

  private async record(name: string, change: (hw: Hardware) => void): Promise<Hardware> {
    return mutate<Hardware>(this.deps.store, 'Hardware', name, (hw) => {
      change(hw);
      return hw;
    });
  }
}

function label(hw: Hardware): string {
  return hw.spec.displayName ?? hw.metadata.name;
}

/** The timeline entry and condition naming the rule and every field that matched. */
function markMatched(hw: Hardware, { rule, reasons }: Matched): void {
  const status = (hw.status ??= { state: 'Registered' });
  const message = reasons.join('; ');
  status.conditions = [
    ...(status.conditions ?? []).filter((c) => c.type !== RULE_MATCHED),
    { type: RULE_MATCHED, status: 'True', reason: rule.metadata.name, message, lastTransitionTime: new Date().toISOString() },
  ];
  appendHistory(hw, 'rule', `rule ${rule.metadata.name} matched: ${message}`);
}

/** Held for approval by this rule before: once approved, the rule's template goes ahead. */
function wasHeldBy(hw: Hardware, rule: Rule): boolean {
  return hw.metadata.annotations?.[HELD_BY] === rule.metadata.name;
}
