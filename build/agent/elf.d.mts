import type { CpioEntry } from './cpio.mjs';
export const LOADER_DIRS: string[];
export function elfDynamic(buf: Uint8Array): { interp?: string; needed: string[]; runpath: string[] } | null;
export function lookupInImage(byPath: Map<string, CpioEntry>, path: string): string | undefined;
export function unresolvedLibraries(entries: CpioEntry[], loaderDirs?: readonly string[]): string[];
