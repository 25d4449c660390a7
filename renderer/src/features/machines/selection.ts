/**
 * Multi-select as file managers do it: click selects one, ctrl/cmd-click toggles, shift-click
 * selects the range from the anchor over the rows as currently shown (filtered and sorted).
 */
export interface Selection {
  selected: ReadonlySet<string>;
  anchor?: string;
}

export interface ClickModifiers {
  shift?: boolean;
  toggle?: boolean; // ctrl on Linux/Windows, cmd on macOS
}

export const emptySelection: Selection = { selected: new Set() };

export function clickSelect(sel: Selection, name: string, mods: ClickModifiers, visible: readonly string[]): Selection {
  if (mods.shift && sel.anchor !== undefined) return rangeSelect(sel, name, visible, mods.toggle === true);
  if (mods.toggle) return toggleOne(sel, name);
  return { selected: new Set([name]), anchor: name };
}

export function toggleOne(sel: Selection, name: string): Selection {
  const selected = new Set(sel.selected);
  if (selected.has(name)) selected.delete(name);
  else selected.add(name);
  return { selected, anchor: name };
}

function rangeSelect(sel: Selection, name: string, visible: readonly string[], additive: boolean): Selection {
  const from = visible.indexOf(sel.anchor as string);
  const to = visible.indexOf(name);
  if (from < 0 || to < 0) return { selected: new Set([name]), anchor: name };
  const [lo, hi] = from < to ? [from, to] : [to, from];
  const selected = new Set(additive ? sel.selected : []);
  for (let i = lo; i <= hi; i++) selected.add(visible[i]);
  return { selected, anchor: sel.anchor };
}

/** Select all shown rows; if every shown row is already selected, clear instead (one toggle button). */
export function selectAllVisible(sel: Selection, visible: readonly string[]): Selection {
  const all = visible.length > 0 && visible.every((n) => sel.selected.has(n));
  return all ? emptySelection : { selected: new Set(visible), anchor: visible[0] };
}

/** Drop names that no longer exist (deleted machines must not stay selected invisibly). */
export function pruneSelection(sel: Selection, exists: (name: string) => boolean): Selection {
  let changed = false;
  const selected = new Set<string>();
  for (const n of sel.selected) {
    if (exists(n)) selected.add(n);
    else changed = true;
  }
  return changed ? { selected, anchor: sel.anchor && exists(sel.anchor) ? sel.anchor : undefined } : sel;
}
