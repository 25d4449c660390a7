import { useState } from 'react';
import { appStore, useAppStore } from '../../../app/store.ts';

/** The keyboard path to assignment: choose a template, press Assign (same dialog as a drop). */
export function AssignPicker() {
  const names = useAppStore((s) => s.templates.names);
  const count = useAppStore((s) => s.selection.selected.size);
  const start = useAppStore((s) => s.startAssign);
  const [choice, setChoice] = useState('');
  const template = names.includes(choice) ? choice : (names[0] ?? '');
  return (
    <div className="assign-picker" role="group" aria-label="Assign a template to the selection">
      <select value={template} onChange={(e) => setChoice(e.target.value)} aria-label="Template to assign" disabled={names.length === 0}>
        {names.length === 0 && <option value="">No templates</option>}
        {names.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
      <button
        type="button"
        className="primary"
        disabled={!template || count === 0}
        // Read the selection at click time; the button only subscribes to its size.
        onClick={() => start(template, [...appStore.getState().selection.selected])}
      >
        Assign…
      </button>
    </div>
  );
}
