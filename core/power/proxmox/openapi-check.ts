/**
 * Checking a request against the Proxmox VE OpenAPI description (core/testing/fixtures/
 * proxmox/pve-openapi.json, Apache-2.0): the path exists, the method exists, required parameters are
 * present, no unknown parameter is sent, and each value has the declared type, range, enum,
 * pattern or property-string format. Used by the test server so that a wrong client fails.
 */
import fs from 'node:fs';

interface ParamSchema {
  type?: string;
  format?: string | Record<string, Record<string, unknown>>;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  pattern?: string;
}
interface Param {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: ParamSchema;
}
interface Operation {
  parameters?: Param[];
}
interface Spec {
  paths: Record<string, Record<string, Operation>>;
}

export type Match =
  | { ok: true; template: string; operation: Operation; pathParams: Record<string, string> }
  | { ok: false; reason: 'no-path' | 'no-method' };

export class PveApiSpec {
  private readonly routes: { template: string; re: RegExp; names: string[]; methods: Record<string, Operation> }[];

  constructor(spec: Spec) {
    this.routes = Object.entries(spec.paths).map(([template, methods]) => {
      const names: string[] = [];
      const re = new RegExp('^' + template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, n: string) => (names.push(n), '([^/]+)')) + '$');
      return { template, re, names, methods };
    });
  }

  static load(file: string): PveApiSpec {
    return new PveApiSpec(JSON.parse(fs.readFileSync(file, 'utf8')) as Spec);
  }

  match(method: string, path: string): Match {
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      const operation = r.methods[method.toLowerCase()];
      if (!operation) return { ok: false, reason: 'no-method' };
      const pathParams = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
      return { ok: true, template: r.template, operation, pathParams };
    }
    return { ok: false, reason: 'no-path' };
  }
}

/** Problems per parameter name, in PVE's `errors` shape; {} when the request is valid. */
export function checkParams(operation: Operation, params: Record<string, string>): Record<string, string> {
  const declared = operation.parameters ?? [];
  const errors: Record<string, string> = {};
  for (const p of declared) {
    const present = Object.keys(params).filter((k) => nameMatches(p.name, k));
    if (p.required && present.length === 0) errors[p.name] = 'property is missing and it is not optional';
    for (const k of present) {
      const problem = checkValue(p.schema, params[k]);
      if (problem) errors[k] = problem;
    }
  }
  for (const k of Object.keys(params)) {
    if (!declared.some((p) => nameMatches(p.name, k))) errors[k] = 'property is not defined in schema and the schema does not allow additional properties';
  }
  return errors;
}

/** "net[n]" declares net0, net1, ... */
function nameMatches(declared: string, actual: string): boolean {
  return declared.endsWith('[n]') ? new RegExp(`^${declared.slice(0, -3)}\\d+$`).test(actual) : declared === actual;
}

export function checkValue(schema: ParamSchema, value: string): string | undefined {
  switch (schema.type) {
    case 'integer':
    case 'number': {
      const ok = schema.type === 'integer' ? /^[+-]?\d+$/.test(value) : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value);
      if (!ok) return `type check ('${schema.type}') failed - got '${value}'`;
      const n = Number(value);
      if (schema.minimum !== undefined && n < schema.minimum) return `value must have a minimum value of ${schema.minimum}`;
      if (schema.maximum !== undefined && n > schema.maximum) return `value must have a maximum value of ${schema.maximum}`;
      return undefined;
    }
    case 'boolean':
      return /^(0|1|true|false|yes|no|on|off)$/i.test(value) ? undefined : `type check ('boolean') failed - got '${value}'`;
    case 'string':
      return checkString(schema, value);
    default:
      return undefined;
  }
}

function checkString(schema: ParamSchema, value: string): string | undefined {
  if (schema.maxLength !== undefined && value.length > schema.maxLength) return `value may only be ${schema.maxLength} characters long`;
  if (schema.enum && !schema.enum.includes(value)) return `value '${value}' does not have a value in the enumeration '${schema.enum.join(', ')}'`;
  if (schema.pattern && !safeRegex(schema.pattern)?.test(value)) return `value does not match the regex pattern`;
  if (typeof schema.format === 'string') return checkNamedFormat(schema.format, value);
  if (schema.format && typeof schema.format === 'object') return checkPropertyString(schema.format, value);
  return undefined;
}

const namedFormats: Record<string, (v: string) => boolean> = {
  'pve-node': (v) => /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(v),
  'pve-vmid': (v) => /^\d+$/.test(v),
  'mac-addr': (v) => /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(v),
  // `boot`: "order=dev;dev..." or the legacy letters (qm.conf(5), "boot").
  'pve-qm-boot': (v) => /^order=((ide|sata|scsi|virtio|net|efidisk|usb|hostpci|mpath)\d+)(;(ide|sata|scsi|virtio|net|efidisk|usb|hostpci|mpath)\d+)*$/.test(v) || /^[acdn]{1,4}$/.test(v),
};

function checkNamedFormat(format: string, value: string): string | undefined {
  const check = namedFormats[format];
  return check && !check(value) ? `value does not match the format '${format}'` : undefined;
}

/** "virtio=BC:24:11:..,bridge=vmbr0": each key declared, each value of its declared type. */
function checkPropertyString(format: Record<string, Record<string, unknown>>, value: string): string | undefined {
  const defaultKey = Object.keys(format).find((k) => format[k].default_key === 1);
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    let key = eq < 0 ? defaultKey : part.slice(0, eq);
    const v = eq < 0 ? part : part.slice(eq + 1);
    if (key === undefined || !format[key]) return `invalid format - property '${key ?? part}' is not defined`;
    if (typeof format[key].alias === 'string') key = format[key].alias as string; // "virtio=<mac>" sets macaddr
    const problem = checkValue(format[key] as ParamSchema, v);
    if (problem) return `invalid format - ${key}: ${problem}`;
  }
  return undefined;
}

function safeRegex(pattern: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    return undefined; // a Perl-only construct: not checked
  }
}
