import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Template } from '../../../../core/model/template.ts';
import { contentTypeFor, problemsFrom, splitProblem, templateToYaml } from './template-document.ts';

describe('template documents in the editor', () => {
  it('shows a stored template without server-owned fields', () => {
    const t: Template = {
      apiVersion: 'dragonfly.computer/v1',
      kind: 'Template',
      metadata: { name: 'debian-12', uid: 'u-1', resourceVersion: '9', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { actions: [{ name: 'reboot', type: 'reboot' }] },
      status: { message: 'ok' },
    };
    const doc = parse(templateToYaml(t));
    expect(doc).toEqual({ apiVersion: 'dragonfly.computer/v1', kind: 'Template', metadata: { name: 'debian-12' }, spec: t.spec });
  });

  it('lists each field problem once, split into field and message', () => {
    const problems = problemsFrom('invalid Template: ...', ['/spec/actions/0/timeoutSeconds: must be >= 1', '/spec/actions/0/timeoutSeconds: must be >= 1']);
    expect(problems).toHaveLength(1);
    expect(splitProblem(problems[0])).toEqual({ field: '/spec/actions/0/timeoutSeconds', message: 'must be >= 1' });
    expect(problemsFrom('invalid Template: /a: x; /b: y', [])).toEqual(['/a: x', '/b: y']);
    expect(problemsFrom('malformed YAML at line 1', [])).toEqual([]);
  });

  it('sends JSON as JSON and everything else as YAML', () => {
    expect(contentTypeFor('  {"kind":"Template"}')).toBe('application/json');
    expect(contentTypeFor('kind: Template')).toBe('application/yaml');
  });
});
