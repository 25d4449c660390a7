import { invalid } from '../shared/errors.ts';

export type ContentFormat = 'text' | 'yaml' | 'shell' | 'cmdline';

/** A value as a YAML double-quoted scalar: no newline, colon or '#' can start a new key. */
export function yamlQuote(v: string): string {
  return JSON.stringify(v); // JSON strings are valid YAML flow scalars; every control char is escaped
}

/** A value as one POSIX shell word: single quotes, with embedded quotes closed and reopened. */
export function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

/**
 * A value inside a kernel command line parameter (`dragonfly.host={{ hostname }}`): plain when it
 * is one printable word, in double quotes when it has spaces (the kernel keeps a quoted value as
 * one parameter). A double quote or a control character cannot be carried safely: refused.
 */
export function cmdlineQuote(v: string): string {
  if (/["\x00-\x1f\x7f]/.test(v)) throw invalid(`value ${JSON.stringify(v)} cannot go on a kernel command line (double quote or control character)`);
  return /^[\x21-\x7e]*$/.test(v) && v !== '' ? v : `"${v}"`;
}

const ESCAPERS: Record<ContentFormat, (v: string) => string> = {
  text: (v) => v,
  yaml: yamlQuote,
  shell: shellQuote,
  cmdline: cmdlineQuote,
};

/**
 * Replaces {{ name }} with the variable's value escaped for the file's format, so a value
 * can never add a YAML key, a shell command or a cloud-init directive. `{{ name | raw }}`
 * opts out, for values the template author controls.
 */
export function renderTemplateText(text: string, vars: Record<string, string>, format: ContentFormat = 'text'): string {
  return text.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s*\|\s*([a-z]+))?\s*\}\}/g, (_m, name: string, filter?: string) => {
    if (!Object.hasOwn(vars, name)) throw invalid(`variable "${name}" has no value`);
    const value = vars[name];
    if (filter === 'raw') return value;
    if (filter && !(filter in ESCAPERS)) throw invalid(`unknown filter "${filter}" on variable "${name}"`);
    return ESCAPERS[(filter as ContentFormat) ?? format](value);
  });
}
