/**
 * Boot#### variables (EFI_LOAD_OPTION, UEFI 2.10 §3.1.3), BootOrder/BootCurrent (§3.3) and
 * the efivarfs file format (4 bytes of attributes, little-endian, then the data;
 * Documentation/filesystems/efivarfs.rst). Pure: bytes in, values out.
 */
import { ByteReader } from '../../core/shared/bytes.ts';
import { copy, decodeDevicePathList, encodeDevicePathList, EfiDecodeError, readFailure, utf16z, type DevicePath } from './efi-device-path.ts';

/** Vendor GUID of the architectural variables (EFI_GLOBAL_VARIABLE, §3.3); efivarfs names a file NAME-GUID. */
export const EFI_GLOBAL_VARIABLE = '8be4df61-93ca-11d2-aa0d-00e098032b8c';

/** Variable attributes (§8.2): what BootOrder and Boot#### must carry (§3.3, Table 3.1). */
export const EFI_VARIABLE_NON_VOLATILE = 0x1;
export const EFI_VARIABLE_BOOTSERVICE_ACCESS = 0x2;
export const EFI_VARIABLE_RUNTIME_ACCESS = 0x4;
export const BOOT_VARIABLE_ATTRIBUTES = EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS;

/** Load option attributes (§3.1.3). */
export const LOAD_OPTION_ACTIVE = 0x1;
export const LOAD_OPTION_HIDDEN = 0x8;
export const LOAD_OPTION_CATEGORY_APP = 0x100;

/** EFI_LOAD_OPTION: Attributes u32, FilePathListLength u16, Description (NUL-terminated UTF-16), FilePathList, OptionalData. */
export interface LoadOption {
  attributes: number;
  description: string;
  /** The first path names what boots; at least one in a valid option. */
  filePaths: DevicePath[];
  optionalData: Uint8Array;
}

export function decodeLoadOption(bytes: Uint8Array): LoadOption | EfiDecodeError {
  const r = new ByteReader(bytes);
  const attributes = r.u32le('Attributes');
  const pathsLength = r.u16le('FilePathListLength');
  const failed = readFailure(r);
  if (failed) return failed;
  const start = r.offset;
  while (r.u16le('Description') !== 0 && !r.error);
  if (r.error) return new EfiDecodeError('Description', 'Description: no NUL terminator before the end of the option');
  const description = Buffer.from(bytes.subarray(start, r.offset - 2)).toString('utf16le');
  const pathBytes = r.bytes(pathsLength, 'FilePathList');
  if (r.error) return new EfiDecodeError('FilePathListLength', `FilePathListLength ${pathsLength} runs past the end of the option (${r.remaining} bytes left)`);
  const filePaths = decodeDevicePathList(pathBytes);
  if (filePaths instanceof EfiDecodeError) return filePaths;
  return { attributes, description, filePaths, optionalData: copy(bytes.subarray(r.offset)) };
}

export function encodeLoadOption(o: LoadOption): Buffer {
  const paths = encodeDevicePathList(o.filePaths);
  if (paths.length > 0xffff) throw new Error(`the device paths of "${o.description}" take ${paths.length} bytes; FilePathListLength holds at most 65535`);
  const head = Buffer.alloc(6);
  head.writeUInt32LE(o.attributes >>> 0, 0);
  head.writeUInt16LE(paths.length, 4);
  return Buffer.concat([head, utf16z(o.description), paths, o.optionalData]);
}

/** BootOrder: an array of UINT16 option numbers. */
export function decodeBootOrder(data: Uint8Array): number[] | EfiDecodeError {
  if (data.length % 2 !== 0) return new EfiDecodeError('BootOrder', `BootOrder is ${data.length} bytes, not a whole number of UINT16`);
  const b = Buffer.from(data);
  return Array.from({ length: data.length / 2 }, (_, i) => b.readUInt16LE(i * 2));
}

export function encodeBootOrder(order: readonly number[]): Buffer {
  const b = Buffer.alloc(order.length * 2);
  order.forEach((n, i) => b.writeUInt16LE(n, i * 2));
  return b;
}

/** BootCurrent, BootNext: one UINT16. */
export function decodeUint16Variable(name: string, data: Uint8Array): number | EfiDecodeError {
  if (data.length !== 2) return new EfiDecodeError(name, `${name} is ${data.length} bytes, want 2`);
  return data[0] | (data[1] << 8);
}

/** An efivarfs file: attributes then data. */
export interface EfiVariable {
  attributes: number;
  data: Uint8Array;
}

export function decodeEfivarfsFile(name: string, bytes: Uint8Array): EfiVariable | EfiDecodeError {
  if (bytes.length < 4) return new EfiDecodeError(name, `${name}: ${bytes.length} bytes, shorter than the 4-byte attribute prefix`);
  return { attributes: Buffer.from(bytes).readUInt32LE(0), data: copy(bytes.subarray(4)) };
}

export function encodeEfivarfsFile(v: EfiVariable): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(v.attributes >>> 0, 0);
  return Buffer.concat([head, v.data]);
}

/** Option number -> "Boot000A": four upper-case hex digits (§3.1.1). */
export function bootOptionName(n: number): string {
  return `Boot${n.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** "Boot000A" -> 10; anything else (BootOrder, BootCurrent, Boot1) -> undefined. */
export function bootOptionNumber(name: string): number | undefined {
  const m = /^Boot([0-9A-Fa-f]{4})$/.exec(name);
  return m ? parseInt(m[1], 16) : undefined;
}

export function formatBootOrder(order: readonly number[]): string {
  return order.length ? order.map((n) => bootOptionName(n).slice(4)).join(',') : '(empty)';
}
