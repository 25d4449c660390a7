import Type, { type Static } from 'typebox';
import { Condition, objectSchema } from './meta.ts';
import { DEFAULT_RULE_PRIORITY, ruleOrder } from './rule-order.ts';

/**
 * A zero-touch rule (issue 17): which registered machines it is about (`match`), what they must
 * have (`expect`) and what happens to them (`action`). Rules are tried by `priority` (lower
 * first), ties broken by name; the first whose `match` holds wins (inventory/rules.ts).
 */

/** An inclusive range; either end may be left open. */
const Range = (unit: string) =>
  Type.Object(
    {
      min: Type.Optional(Type.Number({ minimum: 0, description: `at least, ${unit}` })),
      max: Type.Optional(Type.Number({ minimum: 0, description: `at most, ${unit}` })),
    },
    { additionalProperties: false },
  );

/** `*` any run of characters, `?` one character; compared case-insensitively. */
const Glob = (what: string) => Type.String({ minLength: 1, maxLength: 256, description: `${what}, a glob: * any characters, ? one; case-insensitive` });

const Firmware = Type.Union([Type.Literal('bios'), Type.Literal('uefi')]);

export const MAC_PREFIX_PATTERN = '^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){0,5}$';

export const RuleMatch = Type.Object(
  {
    serial: Type.Optional(Glob('DMI system serial')),
    product: Type.Optional(Glob('DMI product name')),
    vendor: Type.Optional(Glob('DMI system vendor')),
    macPrefix: Type.Optional(Type.String({ pattern: MAC_PREFIX_PATTERN, description: 'a MAC prefix such as an OUI (52:54:00); any of the machine\'s MACs' })),
    cpus: Type.Optional(Range('logical CPUs (threads)')),
    memoryGiB: Type.Optional(Range('GiB of memory')),
    disks: Type.Optional(Range('disks')),
    diskGiB: Type.Optional(Range('GiB, the largest disk')),
    firmware: Type.Optional(Firmware),
    labels: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 63 }), { description: 'every label must be on the machine with this value' })),
  },
  { additionalProperties: false, description: 'every field given must hold; an empty match matches every machine' },
);
export type RuleMatch = Static<typeof RuleMatch>;

/** At least or exactly N; exactly wins when both are given. */
const Count = (unit: string) =>
  Type.Object(
    {
      atLeast: Type.Optional(Type.Integer({ minimum: 0, description: `at least, ${unit}` })),
      exactly: Type.Optional(Type.Integer({ minimum: 0, description: `exactly, ${unit}` })),
    },
    { additionalProperties: false },
  );

export const RuleExpect = Type.Object(
  {
    cpus: Type.Optional(Count('logical CPUs (threads)')),
    memoryGiB: Type.Optional(Type.Number({ minimum: 0, description: 'at least this much memory, GiB' })),
    disks: Type.Optional(
      Type.Object(
        {
          atLeast: Type.Optional(Type.Integer({ minimum: 0 })),
          exactly: Type.Optional(Type.Integer({ minimum: 0 })),
          minSizeGiB: Type.Optional(Type.Number({ minimum: 0, description: 'only disks of at least this size count, GiB' })),
        },
        { additionalProperties: false },
      ),
    ),
    nics: Type.Optional(
      Type.Object(
        {
          atLeast: Type.Optional(Type.Integer({ minimum: 0 })),
          minSpeedMbps: Type.Optional(Type.Integer({ minimum: 0, description: 'only NICs reporting at least this link speed count, Mbit/s' })),
        },
        { additionalProperties: false },
      ),
    ),
    firmware: Type.Optional(Firmware),
    secureBoot: Type.Optional(Type.Boolean({ description: 'Secure Boot enforcing (true) or not (false), as the agent reads it from efivarfs; unknown counts as a difference' })),
  },
  { additionalProperties: false, description: 'hardware the machine must have; one that falls short goes to Error before any workflow' },
);
export type RuleExpect = Static<typeof RuleExpect>;

export const RuleAction = Type.Object(
  {
    labels: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 63 }), { description: 'added to the machine\'s labels' })),
    template: Type.Optional(Type.String({ minLength: 1, description: 'a Template to assign' })),
    variables: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'template variables of the assignment' })),
    requireApproval: Type.Optional(Type.Boolean({ description: 'hold the machine until an operator approves it; nothing is assigned' })),
  },
  { additionalProperties: false, description: 'what happens to a matching machine; empty = nothing (the rule only checks or stops later rules)' },
);
export type RuleAction = Static<typeof RuleAction>;

/** Where a rule sits in the order when it names none. */
export { DEFAULT_RULE_PRIORITY };

export const RuleSpec = Type.Object(
  {
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: `lower is tried first; default ${DEFAULT_RULE_PRIORITY}; ties by name` })),
    match: Type.Optional(RuleMatch),
    expect: Type.Optional(RuleExpect),
    action: Type.Optional(RuleAction),
  },
  { additionalProperties: false },
);
export type RuleSpec = Static<typeof RuleSpec>;

export const RuleStatus = Type.Object({ conditions: Type.Optional(Type.Array(Condition)) }, { additionalProperties: false });

export const Rule = objectSchema('Rule', RuleSpec, RuleStatus);
export type Rule = Static<typeof Rule>;

export { ruleOrder };
