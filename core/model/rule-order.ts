/**
 * The order rules are tried in: priority (lower first, default 100), then name. Pure, with no
 * schema library, so the UI lists rules with this very function (the renderer's one runtime
 * import from core besides the IPv4 check: .dependency-cruiser.cjs).
 */
export const DEFAULT_RULE_PRIORITY = 100;

interface Ordered {
  metadata: { name: string };
  spec: { priority?: number };
}

export function priorityOf(r: Ordered): number {
  return r.spec.priority ?? DEFAULT_RULE_PRIORITY;
}

export function ruleOrder(a: Ordered, b: Ordered): number {
  return priorityOf(a) - priorityOf(b) || (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);
}
