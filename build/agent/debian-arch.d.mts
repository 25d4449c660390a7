export interface ArchInfo {
  kernelMeta: string;
  loaderDirs: string[];
  node: { pkg: string; bin: string; target: string };
  emulator: { bin: string; pkg: string };
}
export const ARCHES: { arm64: ArchInfo };
export function archInfo(arch: string): ArchInfo;
export function missingSonames(root: string, bin: string, loaderDirs: readonly string[]): { missing: string[]; libs: string[] };
