/** The drag payload type for "a template being dragged onto machines" (HTML5 drag and drop). */
export const TEMPLATE_DRAG_TYPE = 'application/x-dragonfly-template';

export function carriesTemplate(dt: DataTransfer | null): boolean {
  return !!dt && Array.from(dt.types).includes(TEMPLATE_DRAG_TYPE);
}
