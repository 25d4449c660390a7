import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useListKeyboard } from '../hooks/use-list-keyboard.ts';
import { MachineCard } from './machine-card.tsx';
import { useRowClick } from './machine-table.tsx';
import type { AssignHandler } from './machine-drop.ts';

const CARD_HEIGHT = 178;
const CARD_MIN_WIDTH = 290;

function useColumns(ref: RefObject<HTMLDivElement | null>): number {
  const [cols, setCols] = useState(3);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setCols(Math.max(1, Math.floor((el.clientWidth - 16) / CARD_MIN_WIDTH)));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return cols;
}

export function MachineCards({ visible, onOpen, onAssign }: { visible: string[]; onOpen: (n: string) => void; onAssign: AssignHandler }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const cols = useColumns(scrollRef);
  const rows = Math.ceil(visible.length / cols);
  const virtualizer = useVirtualizer({ count: rows, getScrollElement: () => scrollRef.current, estimateSize: () => CARD_HEIGHT, overscan: 3 });
  const scrollTo = useCallback((i: number) => virtualizer.scrollToIndex(Math.floor(i / cols)), [virtualizer, cols]);
  const kb = useListKeyboard({ visible, columns: cols, scrollTo, onOpen });
  const onRowClick = useRowClick(visible, kb.setActive);
  const activeName = visible[kb.active];
  return (
    <div
      ref={scrollRef}
      className="machine-scroll machine-cards"
      role="grid"
      aria-label="Machines"
      aria-multiselectable="true"
      tabIndex={0}
      aria-activedescendant={activeName ? `machine-row-${activeName}` : undefined}
      onKeyDown={kb.onKeyDown}
    >
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((row) => (
          <div
            key={row.index}
            role="row"
            className="virtual-row card-row"
            style={{ transform: `translateY(${row.start}px)`, height: CARD_HEIGHT, gridTemplateColumns: `repeat(${cols}, minmax(0, 1fr))` }}
          >
            {visible.slice(row.index * cols, row.index * cols + cols).map((name, j) => (
              <MachineCard
                key={name}
                name={name}
                index={row.index * cols + j}
                active={row.index * cols + j === kb.active}
                onRowClick={onRowClick}
                onOpen={onOpen}
                onAssign={onAssign}
              />
            ))}
          </div>
        ))}
      </div>
    </div>
  );
}
