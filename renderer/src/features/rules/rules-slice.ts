import type { Rule } from '../../../../core/model/rule.ts';
import type { SliceCreator } from '../../shared/slice.ts';
import { applyEvents, cacheFromList, emptyCache, type ResourceCache, type WatchEvent } from '../../shared/resource-cache.ts';

export interface RulesSlice {
  rules: ResourceCache<Rule>;
  /** Rule open in the editor; null = a new document. */
  editingRule: string | null;
  loadRules: (items: Rule[], revision: number) => void;
  applyRuleEvents: (events: WatchEvent<Rule>[]) => void;
  editRule: (name: string | null) => void;
}

export const createRulesSlice: SliceCreator<RulesSlice> = (set) => ({
  rules: emptyCache<Rule>(),
  editingRule: null,
  loadRules: (items, revision) => set({ rules: cacheFromList(items, revision) }),
  applyRuleEvents: (events) => set((s) => ({ rules: applyEvents(s.rules, events) })),
  editRule: (editingRule) => set({ editingRule }),
});
