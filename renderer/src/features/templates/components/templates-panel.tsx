import { useAppStore } from '../../../app/store.ts';
import { TEMPLATE_DRAG_TYPE } from '../../../shared/drag.ts';

/** Drag sources: each template can be dropped on a machine or on the selection. */
export function TemplatesPanel() {
  const names = useAppStore((s) => s.templates.names);
  const byName = useAppStore((s) => s.templates.byName);
  const selected = useAppStore((s) => s.selection.selected.size);
  return (
    <aside className="templates-panel" aria-labelledby="tpl-panel-h">
      <h2 id="tpl-panel-h">Templates</h2>
      <p className="muted small">
        {selected > 1
          ? `Drop a template on any of the ${selected} selected machines to assign it to all of them.`
          : 'Drag a template onto a machine. Select several machines first to assign to all of them at once.'}
      </p>
      {names.length === 0 && <p className="muted">No templates yet. Create one in the Templates view.</p>}
      <ul className="template-chips">
        {names.map((n) => {
          const t = byName.get(n);
          return (
            <li
              key={n}
              className="template-chip"
              draggable
              data-template={n}
              aria-label={`Template ${n}; drag onto machines`}
              onDragStart={(e) => {
                e.dataTransfer.setData(TEMPLATE_DRAG_TYPE, n);
                e.dataTransfer.setData('text/plain', n);
                e.dataTransfer.effectAllowed = 'copy';
              }}
            >
              <span className="drag-handle" aria-hidden="true">
                ⠿
              </span>
              <span>
                <strong>{n}</strong>
                {t?.spec.description && <span className="muted small block">{t.spec.description}</span>}
                <span className="muted small block">{t ? `${t.spec.actions.length} actions` : ''}</span>
              </span>
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
