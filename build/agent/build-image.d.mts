export const MODULES: string[];
export function parseLdd(text: string): string[];
export function parseModulesDep(text: string): Map<string, { path: string; deps: string[] }>;
export function moduleName(path: string): string;
export function moduleClosure(dep: Map<string, { path: string; deps: string[] }>, wanted: string[]): { files: string[]; missing: string[] };
export function buildImage(opts?: { force?: boolean; reference?: boolean }): Promise<{ upToDate: boolean; manifest?: Record<string, unknown> }>;
