import { useMemo, type ReactNode } from 'react';
import { useAppStore } from '../../../app/store.ts';
import { lifecycleStatesForUi } from '../states.ts';
import { allTags, countByState } from '../machine-filter.ts';
import { InventoryImport } from './inventory-import.tsx';

interface ToolbarProps {
  visible: string[];
  /** The keyboard path to assignment (template picker + Assign), composed in by the app. */
  assignControls?: ReactNode;
}

export function MachinesToolbar({ visible, assignControls }: ToolbarProps) {
  const filter = useAppStore((s) => s.machineFilter);
  const setFilter = useAppStore((s) => s.setMachineFilter);
  const layout = useAppStore((s) => s.machineLayout);
  const setLayout = useAppStore((s) => s.setMachineLayout);
  const byName = useAppStore((s) => s.hardware.byName);
  const selectedCount = useAppStore((s) => s.selection.selected.size);
  const toggleAll = useAppStore((s) => s.toggleAllVisible);
  const clear = useAppStore((s) => s.clearSelection);
  // Recomputed whenever an object changes: a tag added to a machine must appear in the filter.
  const tags = useMemo(() => allTags(byName), [byName]);
  const counts = useMemo(() => countByState(byName), [byName]);
  const allShownSelected = visible.length > 0 && selectedCount >= visible.length;
  return (
    <div className="toolbar" role="toolbar" aria-label="Machine list controls">
      <div className="toolbar-group">
        <label className="visually-hidden" htmlFor="machine-search">
          Search machines
        </label>
        <input
          id="machine-search"
          type="search"
          className="search"
          placeholder="Search name, MAC, IP, serial, tag…"
          value={filter.text}
          onChange={(e) => setFilter({ text: e.target.value })}
        />
        <label className="field-inline">
          <span>State</span>
          <select value={filter.state} onChange={(e) => setFilter({ state: e.target.value as typeof filter.state })} aria-label="Filter by state">
            <option value="all">All ({byName.size})</option>
            {lifecycleStatesForUi.map((s) => (
              <option key={s} value={s}>
                {s} ({counts[s] ?? 0})
              </option>
            ))}
          </select>
        </label>
        <label className="field-inline">
          <span>Tag</span>
          <select value={filter.tag} onChange={(e) => setFilter({ tag: e.target.value })} aria-label="Filter by tag">
            <option value="all">Any</option>
            {tags.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="toolbar-group">
        <button type="button" onClick={() => toggleAll(visible)} aria-pressed={allShownSelected}>
          {allShownSelected ? 'Clear selection' : `Select all ${visible.length}`}
        </button>
        <span className="selection-count" aria-live="polite">
          {selectedCount > 0 ? `${selectedCount} selected` : 'None selected'}
        </span>
        {selectedCount > 0 && !allShownSelected && (
          <button type="button" className="quiet" onClick={clear}>
            Clear
          </button>
        )}
        {assignControls}
        <InventoryImport />
        <div className="segmented" role="group" aria-label="Layout">
          <button type="button" aria-pressed={layout === 'table'} onClick={() => setLayout('table')}>
            Table
          </button>
          <button type="button" aria-pressed={layout === 'cards'} onClick={() => setLayout('cards')}>
            Cards
          </button>
        </div>
      </div>
    </div>
  );
}
