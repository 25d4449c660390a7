import { useCallback, useState, type KeyboardEvent } from 'react';
import { appStore } from '../../../app/store.ts';

interface Options {
  visible: readonly string[];
  columns: number;
  scrollTo: (index: number) => void;
  onOpen: (name: string) => void;
}

/**
 * Keyboard model of the machine grid (aria-activedescendant): arrows move, Shift+arrows
 * extend the selection, Space toggles, Enter opens, Ctrl/Cmd+A selects all shown.
 */
export function useListKeyboard({ visible, columns, scrollTo, onOpen }: Options) {
  const [active, setActive] = useState(0);
  const clamped = Math.min(active, Math.max(0, visible.length - 1));

  const move = useCallback(
    (to: number, extend: boolean) => {
      const i = Math.max(0, Math.min(visible.length - 1, to));
      setActive(i);
      scrollTo(i);
      const s = appStore.getState();
      if (extend) s.clickMachine(visible[i], { shift: true }, visible);
    },
    [visible, scrollTo],
  );

  const onKeyDown = useCallback(
    (e: KeyboardEvent) => {
      if (visible.length === 0) return;
      const s = appStore.getState();
      const name = visible[clamped];
      const step: Record<string, number> = { ArrowDown: columns, ArrowUp: -columns, ArrowRight: 1, ArrowLeft: -1, PageDown: columns * 10, PageUp: -columns * 10 };
      if (e.key in step && (columns > 1 || (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight'))) {
        e.preventDefault();
        if (e.shiftKey && !s.selection.anchor) s.clickMachine(name, {}, visible);
        move(clamped + step[e.key], e.shiftKey);
      } else if (e.key === 'Home' || e.key === 'End') {
        e.preventDefault();
        move(e.key === 'Home' ? 0 : visible.length - 1, e.shiftKey);
      } else if (e.key === ' ') {
        e.preventDefault();
        s.clickMachine(name, { toggle: true }, visible);
      } else if (e.key === 'Enter') {
        e.preventDefault();
        onOpen(name);
      } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'a') {
        e.preventDefault();
        s.setSelection(visible);
      } else if (e.key === 'Escape') {
        s.clearSelection();
      }
    },
    [visible, clamped, columns, move, onOpen],
  );

  return { active: clamped, setActive, onKeyDown };
}
