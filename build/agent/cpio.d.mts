export interface CpioEntry {
  path: string;
  type: 'dir' | 'file' | 'symlink' | 'char';
  mode?: number;
  data?: Uint8Array;
  target?: string;
  major?: number;
  minor?: number;
}
export function encodeCpio(entries: CpioEntry[]): Buffer;
export function decodeCpio(buf: Uint8Array): CpioEntry[];
