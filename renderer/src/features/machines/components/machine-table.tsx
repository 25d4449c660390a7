import { useCallback, useRef, type MouseEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useAppStore } from '../../../app/store.ts';
import { useListKeyboard } from '../hooks/use-list-keyboard.ts';
import { MachineRow } from './machine-row.tsx';
import type { AssignHandler } from './machine-drop.ts';

const ROW_HEIGHT = 60;

interface ListProps {
  visible: string[];
  onOpen: (name: string) => void;
  onAssign: AssignHandler;
}

export function useRowClick(visible: readonly string[], setActive: (i: number) => void) {
  const click = useAppStore((s) => s.clickMachine);
  return useCallback(
    (name: string, e: MouseEvent) => {
      click(name, { shift: e.shiftKey, toggle: e.ctrlKey || e.metaKey }, visible);
      setActive(visible.indexOf(name));
    },
    [click, setActive, visible],
  );
}

export function MachineTable({ visible, onOpen, onAssign }: ListProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: visible.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 8 });
  const scrollTo = useCallback((i: number) => virtualizer.scrollToIndex(i), [virtualizer]);
  const kb = useListKeyboard({ visible, columns: 1, scrollTo, onOpen });
  const onRowClick = useRowClick(visible, kb.setActive);
  const activeName = visible[kb.active];
  return (
    <div
      className="machine-table"
      role="grid"
      aria-label="Machines"
      aria-multiselectable="true"
      aria-rowcount={visible.length + 1}
      tabIndex={0}
      aria-activedescendant={activeName ? `machine-row-${activeName}` : undefined}
      onKeyDown={kb.onKeyDown}
    >
      <div role="row" className="machine-row machine-header" aria-rowindex={1}>
        <div role="columnheader" className="cell cell-check">
          <span className="visually-hidden">Selected</span>
        </div>
        <div role="columnheader" className="cell cell-name">Machine</div>
        <div role="columnheader" className="cell cell-macs">MAC / IP</div>
        <div role="columnheader" className="cell cell-state">State</div>
        <div role="columnheader" className="cell cell-progress">Progress</div>
        <div role="columnheader" className="cell cell-hw">Hardware</div>
        <div role="columnheader" className="cell cell-tags">Tags</div>
      </div>
      <div ref={scrollRef} className="machine-scroll" role="rowgroup">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => (
            <div key={visible[item.index]} className="virtual-row" style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}>
              <MachineRow
                name={visible[item.index]}
                index={item.index}
                active={item.index === kb.active}
                onRowClick={onRowClick}
                onOpen={onOpen}
                onAssign={onAssign}
              />
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
