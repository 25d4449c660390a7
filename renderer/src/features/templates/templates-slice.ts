import type { Template } from '../../../../core/model/template.ts';
import type { SliceCreator } from '../../shared/slice.ts';
import { applyEvents, cacheFromList, emptyCache, type ResourceCache, type WatchEvent } from '../../shared/resource-cache.ts';

export interface TemplatesSlice {
  templates: ResourceCache<Template>;
  /** Template open in the editor; null = a new, empty document. */
  editingTemplate: string | null;
  loadTemplates: (items: Template[], revision: number) => void;
  applyTemplateEvents: (events: WatchEvent<Template>[]) => void;
  editTemplate: (name: string | null) => void;
}

export const createTemplatesSlice: SliceCreator<TemplatesSlice> = (set) => ({
  templates: emptyCache<Template>(),
  editingTemplate: null,
  loadTemplates: (items, revision) => set({ templates: cacheFromList(items, revision) }),
  applyTemplateEvents: (events) => set((s) => ({ templates: applyEvents(s.templates, events) })),
  editTemplate: (editingTemplate) => set({ editingTemplate }),
});
