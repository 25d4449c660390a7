import { invalid } from '../shared/errors.ts';

export type ContentFormat = 'text' | 'yaml' | 'shell';

/** A value as a YAML double-quoted scalar: no newline, colon or '#' can start a new key. */
export function yamlQuote(v: string): string {
  return JSON.stringify(v); // JSON strings are valid YAML flow scalars; every control char is escaped
}

/** A value as one POSIX shell word: single quotes, with embedded quotes closed and reopened. */
export function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

const ESCAPERS: Record<ContentFormat, (v: string) => string> = {
  text: (v) => v,
  yaml: yamlQuote,
  shell: shellQuote,
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
