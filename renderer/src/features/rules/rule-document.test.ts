import { describe, expect, it } from 'vitest';
import type { Rule, RuleSpec } from '../../../../core/model/rule.ts';
import { inRunOrder, ruleSummary } from './rule-document.ts';

const rule = (name: string, spec: RuleSpec): Rule => ({ apiVersion: 'dragonfly.computer/v1', kind: 'Rule', metadata: { name }, spec });

describe('rules in the order the server tries them', () => {
  it('priority ascending, default 100, ties by name', () => {
    const list = [rule('z-default', {}), rule('b', { priority: 5 }), rule('a', { priority: 5 }), rule('late', { priority: 101 }), rule('first', { priority: 0 })];
    expect(inRunOrder(list).map((r) => r.metadata.name)).toEqual(['first', 'a', 'b', 'z-default', 'late']);
  });
});

describe('rule summary lines', () => {
  it('names match, expectations and action', () => {
    expect(ruleSummary({ match: { serial: 'A-*' }, expect: { memoryGiB: 2 }, action: { labels: { role: 'w' }, template: 'deb' } })).toEqual({
      match: 'serial A-*',
      expect: 'memoryGiB 2',
      action: 'labels role=w; assign deb',
    });
    expect(ruleSummary({})).toEqual({ match: 'every machine', expect: '—', action: 'nothing' });
  });
});
