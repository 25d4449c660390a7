import Type, { type Static } from 'typebox';
import { Condition, literalUnion, objectSchema } from './meta.ts';
import { lifecycleStates } from './lifecycle.ts';

export const MAC_PATTERN = '^[0-9a-f]{2}(:[0-9a-f]{2}){5}$';
const Mac = Type.String({ pattern: MAC_PATTERN, description: 'lower-case, colon-separated' });

export const Disk = Type.Object(
  {
    name: Type.String({ description: 'kernel name, e.g. sda, nvme0n1' }),
    path: Type.String({ description: '/dev path' }),
    sizeBytes: Type.Integer({ minimum: 0 }),
    model: Type.Optional(Type.String()),
    serial: Type.Optional(Type.String()),
    wwn: Type.Optional(Type.String()),
    rotational: Type.Optional(Type.Boolean()),
    removable: Type.Optional(Type.Boolean()),
    transport: Type.Optional(Type.String({ description: 'sata, nvme, virtio, usb, scsi, ...' })),
  },
  { additionalProperties: false },
);
export type Disk = Static<typeof Disk>;

export const Nic = Type.Object(
  {
    name: Type.String(),
    mac: Mac,
    link: Type.Optional(Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('unknown')])),
    speedMbps: Type.Optional(Type.Integer({ minimum: 0 })),
    driver: Type.Optional(Type.String()),
    pciAddress: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type Nic = Static<typeof Nic>;

/** What the agent detects; also what it POSTs when it registers. */
export const HardwareFacts = Type.Object(
  {
    cpu: Type.Object(
      {
        model: Type.String(),
        sockets: Type.Integer({ minimum: 0 }),
        cores: Type.Integer({ minimum: 0 }),
        threads: Type.Integer({ minimum: 0 }),
        arch: Type.Optional(Type.String({ description: 'x86_64, aarch64' })),
      },
      { additionalProperties: false },
    ),
    memoryBytes: Type.Integer({ minimum: 0 }),
    disks: Type.Array(Disk, { maxItems: 256 }),
    nics: Type.Array(Nic, { maxItems: 256 }),
    dmi: Type.Object(
      {
        vendor: Type.Optional(Type.String()),
        product: Type.Optional(Type.String()),
        serial: Type.Optional(Type.String()),
        uuid: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    firmware: Type.Union([Type.Literal('bios'), Type.Literal('uefi')]),
    virtualization: Type.Optional(Type.String({ description: 'kvm, qemu, vmware, ... or none' })),
    secureBoot: Type.Optional(Type.Boolean({ description: 'UEFI Secure Boot enforcing at this boot (efivarfs SecureBoot); false on BIOS; absent when unknown' })),
  },
  { additionalProperties: false },
);
export type HardwareFacts = Static<typeof HardwareFacts>;

/**
 * A machine's memorable name as people see it. Printable text only (no control characters or
 * line separators: it is shown in boot scripts, logs and notifications), at most 100 characters.
 */
export const DISPLAY_NAME_MAX = 100;
export const DisplayName = Type.String({
  minLength: 1,
  maxLength: DISPLAY_NAME_MAX,
  pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]+$',
  description: 'memorable name, e.g. "Amber Falcon Orbit": printable text, 1-100 characters',
});

export const BmcRef = Type.Object(
  {
    protocol: Type.Union([Type.Literal('ipmi'), Type.Literal('redfish'), Type.Literal('wol'), Type.Literal('proxmox')]),
    address: Type.String({ description: 'host or host:port of the BMC; for wol the interface; for proxmox the API URL' }),
    credentialRef: Type.Optional(Type.String({ description: 'name of a stored, encrypted credential' })),
    options: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);
export type BmcRef = Static<typeof BmcRef>;

export const HardwareSpec = Type.Object(
  {
    macs: Type.Array(Mac, { minItems: 1, maxItems: 64, description: 'every MAC of the machine; the first is the boot MAC' }),
    displayName: Type.Optional(DisplayName),
    facts: Type.Optional(HardwareFacts),
    bmc: Type.Optional(BmcRef),
    tags: Type.Optional(Type.Array(Type.String({ maxLength: 63 }), { maxItems: 64 })),
  },
  { additionalProperties: false },
);
export type HardwareSpec = Static<typeof HardwareSpec>;

/**
 * What says "this is the same physical machine": the firmware's system UUID and serial, and the
 * disks' serials. Pinned at first registration (inventory/identity.ts decides what may change).
 */
export const MachineIdentity = Type.Object(
  {
    uuid: Type.Optional(Type.String({ description: 'DMI system UUID, lower case' })),
    serial: Type.Optional(Type.String({ description: 'DMI system serial' })),
    diskSerials: Type.Array(Type.String(), { maxItems: 256, description: 'sorted serials of the disks that report one' }),
  },
  { additionalProperties: false },
);
export type MachineIdentity = Static<typeof MachineIdentity>;

export const IdentityRecord = Type.Object(
  {
    pinned: MachineIdentity,
    pinnedAt: Type.String({ format: 'date-time' }),
    offered: Type.Optional(MachineIdentity),
    refused: Type.Optional(MachineIdentity),
  },
  { additionalProperties: false, description: 'pinned identity; offered = a conflicting one awaiting the operator; refused = one the operator turned down' },
);
export type IdentityRecord = Static<typeof IdentityRecord>;

export const HardwareStatus = Type.Object(
  {
    state: literalUnion(lifecycleStates),
    lastSeen: Type.Optional(Type.String({ format: 'date-time' })),
    currentWorkflow: Type.Optional(Type.String()),
    ipAddress: Type.Optional(Type.String()),
    bootHistory: Type.Optional(
      Type.Array(
        Type.Object(
          { at: Type.String(), step: Type.String(), detail: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
        { maxItems: 200 },
      ),
    ),
    conditions: Type.Optional(Type.Array(Condition)),
    message: Type.Optional(Type.String()),
    identity: Type.Optional(IdentityRecord),
  },
  { additionalProperties: false },
);
export type HardwareStatus = Static<typeof HardwareStatus>;

export const Hardware = objectSchema('Hardware', HardwareSpec, HardwareStatus);
export type Hardware = Static<typeof Hardware>;

/** With `enrolment: approve`, a new machine's agent has reported but an operator has not approved it yet (inventory/approval.ts). */
export const AWAITING_APPROVAL = 'AwaitingApproval';

export function isAwaitingApproval(hw: Hardware): boolean {
  return (hw.status?.conditions ?? []).some((c) => c.type === AWAITING_APPROVAL && c.status === 'True');
}

/** Label of a machine declared from an inventory file (`dragonfly machines import`) before it ever booted. */
export const DECLARED_LABEL = 'dragonfly.computer/declared';

/**
 * Declared and never registered, with a BMC to power it: such a machine may be assigned while
 * still Discovered (lifecycle event assignedDeclared); the BMC network-boots it into the workflow.
 */
export function isDeclared(hw: Hardware): boolean {
  return hw.metadata.labels?.[DECLARED_LABEL] === 'true' && Boolean(hw.spec.bmc) && !hw.spec.facts;
}
