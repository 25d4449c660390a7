import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { invalid } from '../shared/errors.ts';
import { Hardware } from './hardware.ts';
import { Action, Template } from './template.ts';
import { Workflow } from './workflow.ts';
import { Rule } from './rule.ts';
import { API_VERSION, type StoredObject } from './meta.ts';

export const kinds = {
  Hardware: { schema: Hardware, plural: 'hardware', singular: 'hardware', shortNames: ['hw', 'machine', 'machines'] },
  Template: { schema: Template, plural: 'templates', singular: 'template', shortNames: ['tpl'] },
  Workflow: { schema: Workflow, plural: 'workflows', singular: 'workflow', shortNames: ['wf'] },
  Rule: { schema: Rule, plural: 'rules', singular: 'rule', shortNames: ['rl'] },
} as const satisfies Record<string, { schema: TSchema; plural: string; singular: string; shortNames: string[] }>;

export type Kind = keyof typeof kinds;
export const kindNames = Object.keys(kinds) as Kind[];

export function isKind(s: string): s is Kind {
  return Object.hasOwn(kinds, s);
}

const validators = Object.fromEntries(kindNames.map((k) => [k, Compile(kinds[k].schema)])) as Record<Kind, ReturnType<typeof Compile>>;

const actionValidators = Object.fromEntries(
  (Action as unknown as { anyOf: TSchema[] }).anyOf.map((s) => [(s as { properties: { type: { const: string } } }).properties.type.const, Compile(s)]),
) as Record<string, ReturnType<typeof Compile>>;

/**
 * A template's actions are a union: report an action's problems against the schema of its
 * own `type`, not against every branch ("missing disk, table, partitions" on a reboot).
 */
function actionProblems(value: unknown): string[] | undefined {
  const actions = (value as { spec?: { actions?: unknown } })?.spec?.actions;
  if (!Array.isArray(actions)) return undefined;
  const out: string[] = [];
  actions.forEach((a, i) => {
    const type = (a as { type?: unknown })?.type;
    const v = typeof type === 'string' ? actionValidators[type] : undefined;
    if (!v) {
      out.push(`/spec/actions/${i}/type: ${JSON.stringify(type)} is not an action type (one of ${Object.keys(actionValidators).join(', ')})`);
      return;
    }
    if (!v.Check(a)) out.push(...describe(v.Errors(a), `/spec/actions/${i}`));
  });
  return out.length ? out : undefined;
}

function describe(errors: Iterable<{ keyword: string; instancePath: string; params: unknown; message: string }>, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of errors) {
    if (e.keyword === 'boolean') continue; // duplicates the additionalProperties report
    const where = prefix + e.instancePath || '/';
    const extra =
      e.keyword === 'additionalProperties'
        ? `: unknown field(s) ${JSON.stringify((e.params as { additionalProperties?: string[] }).additionalProperties ?? [])}`
        : e.keyword === 'required'
          ? `: missing required field(s) ${JSON.stringify((e.params as { requiredProperties?: string[] }).requiredProperties ?? [])}`
          : `: ${e.message}`;
    out.push(`${where}${extra}`);
    if (out.length >= 10) break;
  }
  return out;
}

/** One readable line per problem, naming the field by its JSON pointer ("/spec/macs/0: ..."). */
export function schemaProblems(kind: Kind, value: unknown): string[] {
  const v = validators[kind];
  if (v.Check(value)) return [];
  if (kind === 'Template') {
    // Everything else as usual, the actions each against the schema of its own type.
    const rest = describe([...v.Errors(value)].filter((e) => !e.instancePath.startsWith('/spec/actions/')));
    const all = [...rest, ...(actionProblems(value) ?? [])];
    if (all.length) return all.slice(0, 10);
  }
  const out = describe(v.Errors(value));
  return out.length ? out : ['object does not match the schema'];
}

/** Checks an object against its kind's schema; the error lists every problem found, by field. */
export function validateObject(value: unknown): StoredObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('an object must be a JSON/YAML mapping');
  const o = value as Record<string, unknown>;
  if (o.apiVersion !== API_VERSION) throw invalid(`/apiVersion: must be "${API_VERSION}" (got ${JSON.stringify(o.apiVersion)})`);
  if (typeof o.kind !== 'string' || !isKind(o.kind)) {
    throw invalid(`/kind: must be one of ${kindNames.join(', ')} (got ${JSON.stringify(o.kind)})`);
  }
  const problems = schemaProblems(o.kind, value);
  if (problems.length) throw invalid(`invalid ${o.kind}: ${problems.join('; ')}`, { problems });
  return value as StoredObject;
}
