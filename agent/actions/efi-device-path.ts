/**
 * UEFI device paths (UEFI 2.10 §10.3): a list of nodes, each Type (u8), SubType (u8),
 * Length (u16 little-endian, header included), ended by the End Entire node 7F FF 04 00.
 * Decoded only as far as the boot order needs: which PCI device (ACPI PciRoot + PCI nodes), which
 * partition (Hard Drive node) and which file a boot option names. Every other node is kept as
 * raw bytes, and a known node whose bytes would not re-encode identically is kept raw too, so
 * encode(decode(x)) is always x.
 */
import { ByteReader } from '../../core/shared/bytes.ts';

/** Decoding failed; `field` names what was being read ("FilePathList node 2 length"). */
export class EfiDecodeError {
  constructor(
    readonly field: string,
    readonly message: string,
  ) {}
}

/** The reader's sticky first error ("FIELD: what went wrong") as an EfiDecodeError naming FIELD. */
export function readFailure(r: ByteReader): EfiDecodeError | undefined {
  if (!r.error) return undefined;
  const colon = r.error.indexOf(':');
  return new EfiDecodeError(colon > 0 ? r.error.slice(0, colon) : 'data', r.error);
}

/** A plain Uint8Array copy (a Buffer's slice() is a view, and compares unequal to a Uint8Array). */
export const copy = (b: Uint8Array): Uint8Array => Uint8Array.from(b);

/** Device path node types and subtypes used here (UEFI 2.10 §10.3.1, Table 10.2 ff). */
export const DP = {
  hardware: 0x01,
  pci: 0x01,
  acpi: 0x02,
  acpiHid: 0x01,
  messaging: 0x03,
  mac: 0x0b,
  ipv4: 0x0c,
  ipv6: 0x0d,
  uri: 0x18,
  media: 0x04,
  hardDrive: 0x01,
  filePath: 0x04,
  end: 0x7f,
  endEntire: 0xff,
} as const;

/** EISA-compressed ACPI _HIDs of a PCI host bridge: PNP0A03 (PciRoot) and PNP0A08 (PcieRoot). */
export const PNP0A03 = 0x0a0341d0;
export const PNP0A08 = 0x0a0841d0;

/** ACPI device path (§10.3.3): HID and UID of a root bridge; PciRoot(UID) when HID is PNP0A03. */
export interface AcpiNode {
  kind: 'acpi';
  hid: number;
  uid: number;
}
/** PCI device path (§10.3.2.1): device and function on the bus of the node before it. */
export interface PciNode {
  kind: 'pci';
  device: number;
  function: number;
}
/** MAC address device path (§10.3.4.11): 32 bytes, the first 6 used for Ethernet (ifType 1). */
export interface MacNode {
  kind: 'mac';
  address: Uint8Array;
  ifType: number;
}
/** Hard Drive media device path (§10.3.5.1): one partition, by number, extent and signature. */
export interface HardDriveNode {
  kind: 'hd';
  partition: number;
  startLba: bigint;
  sizeLba: bigint;
  /** 16 bytes: a GPT unique partition GUID (signatureType 2) or the MBR disk signature in the first 4 (type 1). */
  signature: Uint8Array;
  /** 1 MBR, 2 GPT. */
  format: number;
  /** 0 none, 1 32-bit MBR signature, 2 GUID. */
  signatureType: number;
}
/** File path media device path (§10.3.5.4): a NUL-terminated UTF-16 path, "\EFI\BOOT\BOOTX64.EFI". */
export interface FileNode {
  kind: 'file';
  path: string;
}
/** Any other node, kept byte for byte (data is what follows the 4-byte header). */
export interface RawNode {
  kind: 'raw';
  type: number;
  subType: number;
  data: Uint8Array;
}
export type DevicePathNode = AcpiNode | PciNode | MacNode | HardDriveNode | FileNode | RawNode;
/** One device path, without its End node. */
export type DevicePath = DevicePathNode[];

function header(type: number, subType: number, dataLength: number): Buffer {
  const h = Buffer.alloc(4);
  h[0] = type;
  h[1] = subType;
  h.writeUInt16LE(4 + dataLength, 2);
  return h;
}

/** A NUL-terminated UTF-16LE string (the descriptions and file paths of UEFI). */
export function utf16z(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf16le'), Buffer.alloc(2)]);
}

export function encodeNode(n: DevicePathNode): Buffer {
  switch (n.kind) {
    case 'acpi': {
      const d = Buffer.alloc(8);
      d.writeUInt32LE(n.hid >>> 0, 0);
      d.writeUInt32LE(n.uid >>> 0, 4);
      return Buffer.concat([header(DP.acpi, DP.acpiHid, 8), d]);
    }
    case 'pci':
      return Buffer.concat([header(DP.hardware, DP.pci, 2), Buffer.from([n.function, n.device])]);
    case 'mac': {
      const d = Buffer.alloc(33);
      d.set(n.address.subarray(0, 32));
      d[32] = n.ifType;
      return Buffer.concat([header(DP.messaging, DP.mac, 33), d]);
    }
    case 'hd': {
      const d = Buffer.alloc(38);
      d.writeUInt32LE(n.partition >>> 0, 0);
      d.writeBigUInt64LE(n.startLba, 4);
      d.writeBigUInt64LE(n.sizeLba, 12);
      d.set(n.signature.subarray(0, 16), 20);
      d[36] = n.format;
      d[37] = n.signatureType;
      return Buffer.concat([header(DP.media, DP.hardDrive, 38), d]);
    }
    case 'file': {
      const d = utf16z(n.path);
      return Buffer.concat([header(DP.media, DP.filePath, d.length), d]);
    }
    case 'raw':
      return Buffer.concat([header(n.type, n.subType, n.data.length), n.data]);
  }
}

const END = Buffer.from([DP.end, DP.endEntire, 4, 0]);

/** One device path and its End Entire node. */
export function encodeDevicePath(path: DevicePath): Buffer {
  return Buffer.concat([...path.map(encodeNode), END]);
}

/** The typed node for these bytes, or undefined when the type is not one decoded here. */
function typedNode(type: number, subType: number, data: Uint8Array): DevicePathNode | undefined {
  const r = new ByteReader(data);
  const key = (type << 8) | subType;
  if (key === ((DP.acpi << 8) | DP.acpiHid) && data.length === 8) return { kind: 'acpi', hid: r.u32le('HID'), uid: r.u32le('UID') };
  if (key === ((DP.hardware << 8) | DP.pci) && data.length === 2) return { kind: 'pci', function: data[0], device: data[1] };
  if (key === ((DP.messaging << 8) | DP.mac) && data.length === 33) return { kind: 'mac', address: copy(data.subarray(0, 32)), ifType: data[32] };
  if (key === ((DP.media << 8) | DP.hardDrive) && data.length === 38) {
    return { kind: 'hd', partition: r.u32le('partition'), startLba: r.u64le('start'), sizeLba: r.u64le('size'), signature: copy(r.bytes(16, 'signature')), format: r.u8('format'), signatureType: r.u8('signature type') };
  }
  if (key === ((DP.media << 8) | DP.filePath) && data.length >= 2 && data.length % 2 === 0) {
    return { kind: 'file', path: Buffer.from(data.subarray(0, data.length - 2)).toString('utf16le') };
  }
  return undefined;
}

/** A node from its header fields and data; raw unless the typed form re-encodes to the very same bytes. */
export function decodeNode(type: number, subType: number, data: Uint8Array): DevicePathNode {
  const raw: RawNode = { kind: 'raw', type, subType, data: copy(data) };
  const typed = typedNode(type, subType, data);
  if (!typed) return raw;
  return encodeNode(typed).subarray(4).equals(data) ? typed : raw;
}

/**
 * A FilePathList (the device paths of a load option, §3.1.3): device paths one after
 * another, each ended by an End Entire node. The first names what to boot; later ones are
 * extra (an initrd, for instance).
 */
export function decodeDevicePathList(bytes: Uint8Array, field = 'FilePathList'): DevicePath[] | EfiDecodeError {
  const r = new ByteReader(bytes);
  const paths: DevicePath[] = [];
  let current: DevicePath = [];
  while (r.remaining > 0 && !r.error) {
    const where = `${field} path ${paths.length + 1} node ${current.length + 1}`;
    const type = r.u8(`${where} type`);
    const subType = r.u8(`${where} subtype`);
    const length = r.u16le(`${where} length`);
    if (r.error) break;
    if (length < 4) return new EfiDecodeError(`${where} length`, `${where}: length ${length}, less than its 4-byte header`);
    const data = r.bytes(length - 4, `${where} data`);
    if (r.error) break;
    if (type === DP.end && subType === DP.endEntire) {
      if (length !== 4) return new EfiDecodeError(`${where} length`, `${where}: End node length ${length}, want 4`);
      paths.push(current);
      current = [];
      continue;
    }
    current.push(decodeNode(type, subType, data));
  }
  const failed = readFailure(r);
  if (failed) return failed;
  if (current.length > 0) return new EfiDecodeError(field, `${field}: device path ${paths.length + 1} has no End node`);
  return paths;
}

export function encodeDevicePathList(paths: readonly DevicePath[]): Buffer {
  return Buffer.concat(paths.map(encodeDevicePath));
}

/** GUID bytes as stored by UEFI (first three fields little-endian) -> "C12A7328-F81F-11D2-BA4B-00A0C93EC93B". */
export function guidFromBytes(b: Uint8Array): string {
  const x = Buffer.from(b.subarray(0, 16));
  const le = (s: number, e: number) => Buffer.from(x.subarray(s, e)).reverse().toString('hex');
  const h = le(0, 4) + le(4, 6) + le(6, 8) + x.subarray(8, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`.toUpperCase();
}

const hex = (n: number | bigint) => `0x${n.toString(16).toUpperCase()}`;

/** A node in the text form of the UEFI Shell and efibootmgr (§10.6), for messages. */
export function nodeText(n: DevicePathNode): string {
  switch (n.kind) {
    case 'acpi':
      if (n.hid === PNP0A03) return `PciRoot(${hex(n.uid)})`;
      if (n.hid === PNP0A08) return `PcieRoot(${hex(n.uid)})`;
      return `Acpi(${hex(n.hid)},${hex(n.uid)})`;
    case 'pci':
      return `Pci(${hex(n.device)},${hex(n.function)})`;
    case 'mac':
      return `MAC(${Buffer.from(n.address.subarray(0, n.ifType === 1 ? 6 : 32)).toString('hex').toUpperCase()},${hex(n.ifType)})`;
    case 'hd': {
      const format = n.format === 2 ? 'GPT' : n.format === 1 ? 'MBR' : String(n.format);
      const sig = n.signatureType === 2 ? guidFromBytes(n.signature) : n.signatureType === 1 ? hex(Buffer.from(n.signature).readUInt32LE(0)) : '0';
      return `HD(${n.partition},${format},${sig},${hex(n.startLba)},${hex(n.sizeLba)})`;
    }
    case 'file':
      return n.path;
    case 'raw':
      return `Path(${n.type},${n.subType}${n.data.length ? `,${Buffer.from(n.data).toString('hex').toUpperCase()}` : ''})`;
  }
}

export function devicePathText(path: DevicePath): string {
  return path.map(nodeText).join('/');
}
