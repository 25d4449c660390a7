import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { invalid } from '../shared/errors.ts';
import { Hardware } from './hardware.ts';
import { Template } from './template.ts';
import { Workflow } from './workflow.ts';
import { API_VERSION, type StoredObject } from './meta.ts';

export const kinds = {
  Hardware: { schema: Hardware, plural: 'hardware', singular: 'hardware', shortNames: ['hw', 'machine', 'machines'] },
  Template: { schema: Template, plural: 'templates', singular: 'template', shortNames: ['tpl'] },
  Workflow: { schema: Workflow, plural: 'workflows', singular: 'workflow', shortNames: ['wf'] },
} as const satisfies Record<string, { schema: TSchema; plural: string; singular: string; shortNames: string[] }>;

export type Kind = keyof typeof kinds;
export const kindNames = Object.keys(kinds) as Kind[];

export function isKind(s: string): s is Kind {
  return Object.hasOwn(kinds, s);
}

const validators = Object.fromEntries(kindNames.map((k) => [k, Compile(kinds[k].schema)])) as Record<Kind, ReturnType<typeof Compile>>;

/** One readable line per problem, naming the field by its JSON pointer ("/spec/macs/0: ..."). */
export function schemaProblems(kind: Kind, value: unknown): string[] {
  const v = validators[kind];
  if (v.Check(value)) return [];
  const out: string[] = [];
  for (const e of v.Errors(value)) {
    if (e.keyword === 'boolean') continue; // duplicates the additionalProperties report
    const where = e.instancePath || '/';
    const extra =
      e.keyword === 'additionalProperties'
        ? `: unknown field(s) ${JSON.stringify((e.params as { additionalProperties?: string[] }).additionalProperties ?? [])}`
        : e.keyword === 'required'
          ? `: missing required field(s) ${JSON.stringify((e.params as { requiredProperties?: string[] }).requiredProperties ?? [])}`
          : `: ${e.message}`;
    out.push(`${where}${extra}`);
    if (out.length >= 10) break;
  }
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
