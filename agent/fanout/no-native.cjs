// Stands in for ws's optional native add-ons (bufferutil, utf-8-validate) in the agent bundle:
// the boot image carries no compiled modules, and ws falls back to JavaScript when requiring
// them throws (build/agent/bundle.mjs aliases both names here).
throw new Error('native add-on not in the agent bundle');
