import { invalid } from '../shared/errors.ts';

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter(Boolean);
}

function checkKey(key: string, whole: string): string {
  if (!KEY.test(key)) throw invalid(`label selector "${whole}": "${key}" is not a valid label key`);
  return key;
}

function parseRequirement(part: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
  if (set) {
    const values = set[3].split(',').map((v) => v.trim()).filter(Boolean);
    return { op: set[2] as 'in' | 'notin', key: checkKey(set[1], part), values };
  }
  const cmp = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
  if (cmp) return { op: cmp[2] === '!=' ? 'neq' : 'eq', key: checkKey(cmp[1], part), value: cmp[3] };
  if (part.startsWith('!')) return { op: 'notexists', key: checkKey(part.slice(1).trim(), part) };
  return { op: 'exists', key: checkKey(part, part) };
}

/** Parses a Kubernetes-style selector into a predicate over labels; a bad selector is DF_ERR_INVALID. */
export function parseLabelSelector(selector: string | undefined): (labels: Record<string, string> | undefined) => boolean {
  if (!selector || !selector.trim()) return () => true;
  const reqs = splitTopLevel(selector).map(parseRequirement);
  return (labels = {}) =>
    reqs.every((r) => {
      const has = Object.hasOwn(labels, r.key);
      switch (r.op) {
        case 'eq':
          return labels[r.key] === r.value;
        case 'neq':
          return labels[r.key] !== r.value;
        case 'in':
          return has && r.values.includes(labels[r.key]);
        case 'notin':
          return !has || !r.values.includes(labels[r.key]);
        case 'exists':
          return has;
        case 'notexists':
          return !has;
      }
    });
}
