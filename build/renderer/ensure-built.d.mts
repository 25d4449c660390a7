export function rendererBuildReason(root?: string): string | undefined;
export function ensureRendererBuilt(opts?: {
  root?: string;
  out?: (line: string) => void;
  build?: (root: string) => { status: number; output: string };
  now?: () => number;
}): boolean;
