import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cmdlineQuote, renderTemplateText } from './variables.ts';

const nasty = 'x"\n  runcmd: [rm -rf /]\n# $(reboot) `id` \'q\' \\ ; & |';

describe('template variables are escaped for the target format', () => {
  it('YAML: a value with newlines, quotes and keys stays one string value', () => {
    const out = renderTemplateText('#cloud-config\nhostname: {{ hostname }}\n', { hostname: nasty }, 'yaml');
    const doc = parse(out);
    expect(Object.keys(doc)).toEqual(['hostname']);
    expect(doc.hostname).toBe(nasty);
  });

  it('shell: the value is one word, printed literally by a real shell', () => {
    const script = renderTemplateText('printf %s {{ v }}', { v: nasty }, 'shell');
    expect(execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' })).toBe(nasty);
  });

  it('text: verbatim; raw filter opts out; an unset variable is an error naming it', () => {
    expect(renderTemplateText('{{ a }}', { a: '$x' })).toBe('$x');
    expect(renderTemplateText('k: {{ a | raw }}', { a: 'v' }, 'yaml')).toBe('k: v');
    expect(() => renderTemplateText('{{ missing }}', {})).toThrow(/"missing"/);
  });

  it('kernel command line: one word stays bare, spaces are quoted into one parameter, a quote or newline is refused by name', () => {
    expect(renderTemplateText('dragonfly.host={{ hostname }} quiet', { hostname: 'zone-glove-canvas' }, 'cmdline')).toBe('dragonfly.host=zone-glove-canvas quiet');
    expect(renderTemplateText('x={{ v }} quiet', { v: 'a b  c' }, 'cmdline')).toBe('x="a b  c" quiet');
    expect(cmdlineQuote('')).toBe('""');
    expect(() => renderTemplateText('x={{ v }}', { v: 'a" init=/bin/sh "' }, 'cmdline')).toThrow(/kernel command line/);
    expect(() => renderTemplateText('x={{ v }}', { v: 'a\ninit=/bin/sh' }, 'cmdline')).toThrow(/kernel command line/);
  });
});
