import { useState, type DragEvent } from 'react';
import { carriesTemplate, TEMPLATE_DRAG_TYPE } from '../../../shared/drag.ts';
import { appStore } from '../../../app/store.ts';

export type AssignHandler = (template: string, machines: string[]) => void;

/**
 * Drop target behaviour shared by rows and cards: dropping on a selected machine assigns
 * to the whole selection, dropping on any other machine assigns to that one alone.
 */
export function useMachineDrop(name: string, onAssign: AssignHandler) {
  const [over, setOver] = useState(false);
  const targets = () => {
    const sel = appStore.getState().selection.selected;
    return sel.has(name) ? [...sel] : [name];
  };
  return {
    over,
    handlers: {
      onDragOver: (e: DragEvent) => {
        if (!carriesTemplate(e.dataTransfer)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        if (!over) setOver(true);
      },
      onDragLeave: () => setOver(false),
      onDrop: (e: DragEvent) => {
        setOver(false);
        const template = e.dataTransfer.getData(TEMPLATE_DRAG_TYPE);
        if (!template) return;
        e.preventDefault();
        onAssign(template, targets());
      },
    },
  };
}
