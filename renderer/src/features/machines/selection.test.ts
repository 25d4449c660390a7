import { describe, expect, it } from 'vitest';
import { clickSelect, emptySelection, pruneSelection, selectAllVisible } from './selection.ts';

const rows = ['a', 'b', 'c', 'd', 'e'];
const names = (s: { selected: ReadonlySet<string> }) => [...s.selected].sort();

describe('machine selection', () => {
  it('a plain click selects only that machine', () => {
    const s = clickSelect({ selected: new Set(['a', 'b']), anchor: 'a' }, 'c', {}, rows);
    expect(names(s)).toEqual(['c']);
  });

  it('ctrl/cmd-click adds and removes single machines', () => {
    let s = clickSelect(emptySelection, 'b', {}, rows);
    s = clickSelect(s, 'd', { toggle: true }, rows);
    expect(names(s)).toEqual(['b', 'd']);
    s = clickSelect(s, 'b', { toggle: true }, rows);
    expect(names(s)).toEqual(['d']);
  });

  it('shift-click selects the range from the anchor in display order, in either direction', () => {
    let s = clickSelect(emptySelection, 'b', {}, rows);
    s = clickSelect(s, 'd', { shift: true }, rows);
    expect(names(s)).toEqual(['b', 'c', 'd']);
    s = clickSelect(s, 'a', { shift: true }, rows);
    expect(names(s)).toEqual(['a', 'b']);
  });

  it('ctrl+shift-click adds a range to the existing selection', () => {
    let s = clickSelect(emptySelection, 'e', {}, rows);
    s = clickSelect(s, 'a', { toggle: true }, rows);
    s = clickSelect(s, 'c', { shift: true, toggle: true }, rows);
    expect(names(s)).toEqual(['a', 'b', 'c', 'e']);
  });

  it('select all selects every shown machine, and clears when all are already selected', () => {
    let s = selectAllVisible(emptySelection, ['b', 'c']);
    expect(names(s)).toEqual(['b', 'c']);
    s = selectAllVisible(s, ['b', 'c']);
    expect(s.selected.size).toBe(0);
  });

  it('deleted machines drop out of the selection', () => {
    const s = pruneSelection({ selected: new Set(['a', 'b']), anchor: 'a' }, (n) => n !== 'a');
    expect(names(s)).toEqual(['b']);
    expect(s.anchor).toBeUndefined();
  });
});
