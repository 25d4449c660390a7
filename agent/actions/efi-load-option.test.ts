import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDevicePathList, devicePathText, EfiDecodeError, encodeDevicePathList, guidFromBytes, PNP0A03, type DevicePathNode } from './efi-device-path.ts';
import {
  bootOptionName,
  bootOptionNumber,
  decodeBootOrder,
  decodeEfivarfsFile,
  decodeLoadOption,
  decodeUint16Variable,
  encodeBootOrder,
  encodeEfivarfsFile,
  encodeLoadOption,
  LOAD_OPTION_ACTIVE,
  type LoadOption,
} from './efi-load-option.ts';
import { ovmfBootVariables } from './testing/ovmf-boot-variables.ts';

// Boot options assembled field by field from the UEFI 2.10 layouts (EFI_LOAD_OPTION §3.1.3,
// device path nodes §10.3), as OVMF writes them for a virtio disk, its PXE client and an OS loader.
const hex = (s: string) => Buffer.from(s.replace(/\s+|\/\/[^\n]*/g, ''), 'hex');
const utf16 = (s: string) => Buffer.concat([Buffer.from(s, 'utf16le'), Buffer.alloc(2)]).toString('hex');

/** "UEFI Misc Device": the firmware's removable-media option for the virtio disk at 00:04.0. */
const miscDevice = hex(`
  01000000                       // Attributes: LOAD_OPTION_ACTIVE
  1600                           // FilePathListLength: 12 + 6 + 4 = 22
  ${utf16('UEFI Misc Device')}
  02 01 0c00 d041030a 00000000   // ACPI: HID PNP0A03, UID 0 -> PciRoot(0x0)
  01 01 0600 00 04               // PCI: function 0, device 4
  7f ff 0400                     // End Entire
  4eac0881119f594d850ee21a522c59b2 // OptionalData: 16 bytes
`);

/** "UEFI PXEv4 (MAC:525400123456)": NIC at 00:03.0, MAC node, IPv4 node (kept raw). */
const pxe = hex(`
  01000000
  5600                           // FilePathListLength: 12 + 6 + 37 + 27 + 4 = 86
  ${utf16('UEFI PXEv4 (MAC:525400123456)')}
  02 01 0c00 d041030a 00000000
  01 01 0600 00 03
  03 0b 2500 525400123456 ${'00'.repeat(26)} 01  // MAC: 32-byte address, IfType 1 (Ethernet)
  03 0c 1b00 00000000 00000000 0000 0000 0000 00 00000000 00000000 // IPv4: all zero (DHCP)
  7f ff 0400
`);

const espGuid = 'A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF';
/** "debian": the short-form path grub-install writes, HD(15,GPT,...)/\EFI\debian\shimx64.efi. */
const debian = hex(`
  01000000
  6200                           // FilePathListLength: 42 + 52 + 4 = 98
  ${utf16('debian')}
  04 01 2a00                     // Hard Drive, length 42
  0f000000                       //   PartitionNumber 15
  0008000000000000               //   PartitionStart 0x800
  00f8010000000000               //   PartitionSize 0x1F800
  d4c3b2a1f6e51147 8899aabbccddeeff // Signature: the GUID, first three fields little-endian
  02 02                          //   PartitionFormat GPT, SignatureType GUID
  04 04 3400 ${utf16('\\EFI\\debian\\shimx64.efi')} // File Path, 4 + 2 * (23 + 1) = 52
  7f ff 0400
`);

function decoded(b: Uint8Array): LoadOption {
  const o = decodeLoadOption(b);
  if (o instanceof EfiDecodeError) throw new Error(o.message);
  return o;
}

describe('EFI_LOAD_OPTION from the spec layout', () => {
  it('decodes the firmware removable-media option and encodes it back byte for byte', () => {
    const o = decoded(miscDevice);
    expect(o.attributes).toBe(LOAD_OPTION_ACTIVE);
    expect(o.description).toBe('UEFI Misc Device');
    expect(o.filePaths).toEqual([[{ kind: 'acpi', hid: PNP0A03, uid: 0 }, { kind: 'pci', device: 4, function: 0 }]]);
    expect(devicePathText(o.filePaths[0])).toBe('PciRoot(0x0)/Pci(0x4,0x0)');
    expect(Buffer.from(o.optionalData).toString('hex')).toBe('4eac0881119f594d850ee21a522c59b2');
    expect(encodeLoadOption(o).equals(miscDevice)).toBe(true);
  });

  it('decodes a PXE option: MAC node typed, IPv4 node kept raw, round trip exact', () => {
    const o = decoded(pxe);
    expect(o.description).toBe('UEFI PXEv4 (MAC:525400123456)');
    expect(devicePathText(o.filePaths[0])).toBe(`PciRoot(0x0)/Pci(0x3,0x0)/MAC(525400123456,0x1)/Path(3,12,${'0'.repeat(46)})`);
    expect(o.optionalData.length).toBe(0);
    expect(encodeLoadOption(o).equals(pxe)).toBe(true);
  });

  it('decodes a short-form Hard Drive + file path option', () => {
    const o = decoded(debian);
    const [hd, file] = o.filePaths[0];
    expect(hd).toMatchObject({ kind: 'hd', partition: 15, startLba: 0x800n, sizeLba: 0x1f800n, format: 2, signatureType: 2 });
    expect(guidFromBytes((hd as Extract<DevicePathNode, { kind: 'hd' }>).signature)).toBe(espGuid);
    expect(file).toEqual({ kind: 'file', path: '\\EFI\\debian\\shimx64.efi' });
    expect(devicePathText(o.filePaths[0])).toBe(`HD(15,GPT,${espGuid},0x800,0x1F800)/\\EFI\\debian\\shimx64.efi`);
    expect(encodeLoadOption(o).equals(debian)).toBe(true);
  });

  it('keeps several device paths apart (a loader, then e.g. an initrd path)', () => {
    const two = Buffer.concat([hex('02010c00d041030a00000000 01010600 0004 7fff0400'), hex('0404 1200'), Buffer.from(utf16('\\i.img'), 'hex'), hex('7fff0400')]);
    const paths = decodeDevicePathList(two);
    if (paths instanceof EfiDecodeError) throw new Error(paths.message);
    expect(paths.map(devicePathText)).toEqual(['PciRoot(0x0)/Pci(0x4,0x0)', '\\i.img']);
    expect(encodeDevicePathList(paths).equals(two)).toBe(true);
  });

  it('keeps a known node type with an unexpected length as raw bytes, so it still round-trips', () => {
    const odd = hex('01 01 0700 00 04 ff 7fff0400'); // a PCI node one byte too long
    const paths = decodeDevicePathList(odd);
    if (paths instanceof EfiDecodeError) throw new Error(paths.message);
    expect(paths[0][0]).toEqual({ kind: 'raw', type: 1, subType: 1, data: Uint8Array.from([0, 4, 0xff]) });
    expect(encodeDevicePathList(paths).equals(odd)).toBe(true);
  });
});

describe('Boot#### variables captured from OVMF', () => {
  const options = Object.entries(ovmfBootVariables).filter(([name]) => name !== 'BootOrder');
  it.each(options)('%s decodes and encodes back byte for byte', (_, hexData) => {
    const bytes = Buffer.from(hexData, 'hex');
    expect(encodeLoadOption(decoded(bytes)).equals(bytes)).toBe(true);
  });

  it('reads what the firmware printed for them', () => {
    const o = (name: string) => decoded(Buffer.from(ovmfBootVariables[name], 'hex'));
    expect(o('Boot0001').description).toBe('UEFI Misc Device');
    expect(devicePathText(o('Boot0001').filePaths[0])).toBe('PciRoot(0x0)/Pci(0x4,0x0)');
    expect(o('Boot0002').description).toBe('UEFI PXEv4 (MAC:525400123456)');
    // OVMF prints the rest as IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0); this codec keeps IPv4 nodes raw
    expect(devicePathText(o('Boot0002').filePaths[0])).toMatch(/^PciRoot\(0x0\)\/Pci\(0x3,0x0\)\/MAC\(525400123456,0x1\)\/Path\(3,12,0{46}\)$/);
    expect(devicePathText(o('Boot0005').filePaths[0])).toMatch(/\/Path\(3,13,[0-9A-F]+\)\/Path\(3,24\)$/); // IPv6, then an empty Uri()
    expect(o('Boot0000')).toMatchObject({ description: 'UiApp', attributes: 0x109 }); // active, hidden, category app
    expect(decodeBootOrder(Buffer.from(ovmfBootVariables.BootOrder, 'hex'))).toEqual([2, 3, 4, 5, 1, 0, 6]);
  });
});

describe('malformed options name the field', () => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['a truncated header', hex('010000'), /Attributes: need 4 bytes/],
    ['a description without NUL', hex('01000000 0000 4100 4200'), /Description: no NUL terminator/],
    ['a FilePathListLength past the end', hex('01000000 2000 0000 7fff0400'), /FilePathListLength 32 runs past the end/],
    ['a node shorter than its header', hex('01000000 0400 0000 0101 0200'), /FilePathList path 1 node 1: length 2, less than its 4-byte header/],
    ['a node longer than the list', hex('01000000 0600 0000 0101 0800 0004'), /FilePathList path 1 node 1 data: need 4 bytes/],
    ['a path with no End node', hex('01000000 0600 0000 0101 0600 0004'), /device path 1 has no End node/],
    ['an End node with a payload', hex('01000000 0600 0000 7fff 0600 0000'), /End node length 6, want 4/],
  ];
  it.each(cases)('%s', (_, bytes, message) => {
    const r = decodeLoadOption(bytes);
    expect(r).toBeInstanceOf(EfiDecodeError);
    expect((r as EfiDecodeError).message).toMatch(message);
  });
});

describe('BootOrder, BootCurrent and the efivarfs file format', () => {
  it('BootOrder is little-endian UINT16s', () => {
    expect(encodeBootOrder([1, 0, 0x1a2b]).toString('hex')).toBe('010000002b1a');
    expect(decodeBootOrder(hex('010000002b1a'))).toEqual([1, 0, 0x1a2b]);
    expect((decodeBootOrder(hex('010000')) as EfiDecodeError).message).toMatch(/BootOrder is 3 bytes/);
  });
  it('BootCurrent is one UINT16', () => {
    expect(decodeUint16Variable('BootCurrent', hex('0300'))).toBe(3);
    expect((decodeUint16Variable('BootCurrent', hex('030000')) as EfiDecodeError).message).toBe('BootCurrent is 3 bytes, want 2');
  });
  it('an efivarfs file is 4 bytes of attributes (little-endian) then the data', () => {
    expect(encodeEfivarfsFile({ attributes: 7, data: hex('0100') }).toString('hex')).toBe('070000000100');
    expect(decodeEfivarfsFile('BootOrder', hex('070000000100'))).toEqual({ attributes: 7, data: Uint8Array.from([1, 0]) });
    expect((decodeEfivarfsFile('BootOrder', hex('0700')) as EfiDecodeError).message).toMatch(/shorter than the 4-byte attribute prefix/);
  });
  it('Boot#### names use four upper-case hex digits', () => {
    expect(bootOptionName(10)).toBe('Boot000A');
    expect(bootOptionNumber('Boot000A')).toBe(10);
    expect(bootOptionNumber('Boot000a')).toBe(10);
    expect(bootOptionNumber('BootOrder')).toBeUndefined();
    expect(bootOptionNumber('BootCurrent')).toBeUndefined();
  });
});

const nodeArb: fc.Arbitrary<DevicePathNode> = fc.oneof(
  fc.record({ kind: fc.constant('acpi' as const), hid: fc.constantFrom(PNP0A03, 0x0a0841d0, 0x12345678), uid: fc.nat() }),
  fc.record({ kind: fc.constant('pci' as const), device: fc.integer({ min: 0, max: 31 }), function: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('mac' as const), address: fc.uint8Array({ minLength: 32, maxLength: 32 }), ifType: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('hd' as const),
    partition: fc.nat(),
    startLba: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    sizeLba: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    signature: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    format: fc.integer({ min: 0, max: 255 }),
    signatureType: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({ kind: fc.constant('file' as const), path: fc.string({ unit: fc.constantFrom('\\', 'E', 'F', 'I', '.', 'é', '鸟'), maxLength: 40 }) }),
  fc.record({ kind: fc.constant('raw' as const), type: fc.constantFrom(5, 0x7f), subType: fc.integer({ min: 0, max: 0xfe }), data: fc.uint8Array({ maxLength: 40 }) }),
);
const optionArb: fc.Arbitrary<LoadOption> = fc.record({
  attributes: fc.nat(),
  description: fc.string({ maxLength: 30 }).map((s) => s.replace(/\0/g, '')),
  filePaths: fc.array(fc.array(nodeArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 3 }),
  optionalData: fc.uint8Array({ maxLength: 20 }),
});

describe('codec properties', () => {
  it('any bytes decode to an option or an EfiDecodeError, never a throw; and what decodes re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        const o = decodeLoadOption(b);
        if (!(o instanceof EfiDecodeError)) expect(encodeLoadOption(o).equals(Buffer.from(b))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('bytes behind a plausible header (the device path part) never throw either, and round-trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.uint8Array({ maxLength: 8 }), (paths, extra) => {
        const b = Buffer.concat([hex('01000000'), Buffer.from([paths.length & 0xff, 0]), hex('41000000'), paths, extra]);
        const o = decodeLoadOption(b);
        if (!(o instanceof EfiDecodeError)) expect(encodeLoadOption(o).equals(b)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('encode then decode gives the option back for generated options', () => {
    fc.assert(
      fc.property(optionArb, (o) => {
        const bytes = encodeLoadOption(o);
        const back = decodeLoadOption(bytes);
        if (back instanceof EfiDecodeError) throw new Error(back.message);
        expect(encodeLoadOption(back).equals(bytes)).toBe(true);
        expect(back.description).toBe(o.description);
        expect(back.filePaths.length).toBe(o.filePaths.length);
        expect(back.filePaths.map(devicePathText)).toEqual(o.filePaths.map(devicePathText));
      }),
      { numRuns: 500 },
    );
  });
});
