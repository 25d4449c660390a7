export const MODULES: string[];
export function parseLdd(text: string): string[];
export function parseModulesDep(text: string): Map<string, { path: string; deps: string[] }>;
export function moduleName(path: string): string;
export function moduleClosure(dep: Map<string, { path: string; deps: string[] }>, wanted: string[]): { files: string[]; missing: string[] };
export function buildImage(opts?: { force?: boolean; reference?: boolean; out?: string; arch?: string }): Promise<{ upToDate: boolean; manifest?: Record<string, unknown> }>;
export function lddMissing(text: string): string[];
export function parseAptDepends(text: string): string[];
export const DEB_TOOLS: Array<{ pkg: string; bin: string }>;
export const REQUIRED_AGENT_FILES: string[];
export function checkBase(entries: import('./cpio.mjs').CpioEntry[], withAgent: boolean, loaderDirs?: readonly string[]): void;
export const HOST_TOOLS: Array<{ bin: string; pkg: string }>;
export function hostProblem(platform?: NodeJS.Platform, onPath?: (bin: string) => boolean): string | undefined;
export class HostProblem extends Error {}
