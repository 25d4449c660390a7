import Type, { type Static } from 'typebox';
import { burninDefaults } from './burnin-defaults.ts';
import { literalUnion, objectSchema } from './meta.ts';

/**
 * Which disk a destructive action writes. Never implicit (DESIGN.md §5): by path, serial,
 * WWN or a size rule; removable media only when allowRemovable is set.
 */
export const DiskSelector = Type.Object(
  {
    path: Type.Optional(Type.String({ pattern: '^/dev/' })),
    serial: Type.Optional(Type.String({ minLength: 1 })),
    wwn: Type.Optional(Type.String({ minLength: 1 })),
    rule: Type.Optional(
      Type.Object(
        {
          pick: Type.Union([Type.Literal('smallest'), Type.Literal('largest')]),
          minSizeBytes: Type.Optional(Type.Integer({ minimum: 0, description: 'bytes; 0 means no lower bound' })),
          maxSizeBytes: Type.Optional(Type.Integer({ minimum: 0, description: 'bytes; 0 means no upper bound' })),
          rotational: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    allowRemovable: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);
export type DiskSelector = Static<typeof DiskSelector>;

const common = {
  name: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', description: 'action name, unique in the template' }),
  timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400, description: 'seconds; omitted = template default' })),
};

export const PartitionAction = Type.Object(
  {
    ...common,
    type: Type.Literal('partition'),
    disk: DiskSelector,
    table: Type.Union([Type.Literal('gpt'), Type.Literal('mbr')]),
    partitions: Type.Array(
      Type.Object(
        {
          label: Type.String({ minLength: 1, maxLength: 36 }),
          role: Type.Union([Type.Literal('esp'), Type.Literal('bios-boot'), Type.Literal('root'), Type.Literal('swap'), Type.Literal('data')]),
          sizeMiB: Type.Integer({ minimum: 0, description: 'MiB; 0 means the rest of the disk' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 32 },
    ),
  },
  { additionalProperties: false },
);

/**
 * Where an OS image comes from. Distributions publish digests of the FILE they serve
 * (SHA512SUMS of the qcow2), not of the decompressed disk, so `checksum` (raw disk) is
 * optional when `fileChecksum` is given: the image cache verifies the download and computes
 * the raw digest, which machines are then made to verify. template-rules requires one of them.
 */
export const ImageSource = Type.Object(
  {
    url: Type.String({ minLength: 1, description: 'http(s) URL, or cache:NAME for an image imported into the control plane image cache' }),
    checksum: Type.Optional(Type.String({ pattern: '^(sha256|sha512):[0-9a-f]+$', description: 'digest of the decompressed disk image' })),
    fileChecksum: Type.Optional(
      Type.Union([
        Type.String({ pattern: '^(sha256|sha512):[0-9a-f]+$', description: 'digest of the file the URL serves' }),
        Type.Object(
          {
            url: Type.String({ pattern: '^https?://', description: 'a SHA256SUMS/SHA512SUMS list naming the image file' }),
            algorithm: Type.Union([Type.Literal('sha256'), Type.Literal('sha512')]),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
    format: Type.Optional(literalUnion(['raw', 'gz', 'xz', 'zst', 'qcow2', 'tar.xz', 'tar.gz'] as const)),
  },
  { additionalProperties: false },
);

export const Image2DiskAction = Type.Object(
  {
    ...common,
    type: Type.Literal('image2disk'),
    disk: DiskSelector,
    image: ImageSource,
  },
  { additionalProperties: false },
);

export const WriteFileAction = Type.Object(
  {
    ...common,
    type: Type.Literal('writefile'),
    disk: DiskSelector,
    partition: Type.Union([Type.Integer({ minimum: 1 }), Type.String({ minLength: 1, description: 'filesystem label' })]),
    path: Type.String({ pattern: '^/' }),
    content: Type.String({ maxLength: 1048576 }),
    contentFormat: Type.Optional(Type.Union([Type.Literal('text'), Type.Literal('yaml'), Type.Literal('shell')])),
    mode: Type.Optional(Type.String({ pattern: '^0?[0-7]{3,4}$', default: '0644' })),
    uid: Type.Optional(Type.Integer({ minimum: 0 })),
    gid: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

export const KexecAction = Type.Object(
  {
    ...common,
    type: Type.Literal('kexec'),
    disk: DiskSelector,
    partition: Type.Union([Type.Integer({ minimum: 1 }), Type.String({ minLength: 1 })]),
    kernel: Type.String({ pattern: '^/' }),
    initrd: Type.Optional(Type.String({ pattern: '^/' })),
    cmdline: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const RebootAction = Type.Object({ ...common, type: Type.Literal('reboot') }, { additionalProperties: false });

/**
 * UEFI machines: BootOrder becomes [the network option that booted the agent (BootCurrent), the
 * disk's option(s), everything else in its old order], so the firmware reaches the disk right
 * after the control plane hands a provisioned machine back (iPXE `exit 1`) instead of first
 * trying IPv6 PXE and HTTP boot. A disk option is created ("Dragonfly: /dev/..."; the ESP's
 * \EFI\BOOT\BOOTX64.EFI) when the firmware has none. Does nothing on a BIOS machine.
 * Put it before reboot.
 */
export const EfiBootOrderAction = Type.Object(
  {
    ...common,
    type: Type.Literal('efibootorder'),
    disk: DiskSelector,
  },
  { additionalProperties: false },
);

/**
 * Burn-in checks (issue 17), run by the agent before imaging; each reports its duration and
 * figures, and a failure stops the workflow before anything is written. Thresholds are optional.
 *
 * memtest: writes and verifies patterns over `share` of the memory the kernel calls available
 * (MemAvailable), in 64 MiB chunks, never taking the agent below 128 MiB available.
 */
export const MemtestAction = Type.Object(
  {
    ...common,
    type: Type.Literal('memtest'),
    share: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 0.9, default: burninDefaults.share, description: `share of available memory to test, 0 < share <= 0.9; default ${burninDefaults.share}` })),
    maxMiB: Type.Optional(Type.Integer({ minimum: 1, description: 'MiB; an upper bound on the memory tested; omitted = no bound beyond share' })),
    passes: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: burninDefaults.passes, description: `times every pattern is written and verified; default ${burninDefaults.passes}` })),
    minMBps: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'MB/s (10^6 bytes) written plus verified; slower fails; omitted = not checked' })),
  },
  { additionalProperties: false },
);

/**
 * disktest: writes a pattern over up to `sizeMiB` of the target disk (spread over its start,
 * middle and end), then reads it back and verifies every byte. DESTRUCTIVE: it overwrites
 * that data, which is fine before image2disk (the disk is about to be overwritten anyway),
 * so template-rules only allows it before the first action that writes a disk.
 */
export const DisktestAction = Type.Object(
  {
    ...common,
    type: Type.Literal('disktest'),
    disk: DiskSelector,
    sizeMiB: Type.Optional(Type.Integer({ minimum: 1, maximum: 1048576, default: burninDefaults.sizeMiB, description: `MiB written then read back; default ${burninDefaults.sizeMiB}; capped at the disk size` })),
    maxSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400, default: burninDefaults.maxSeconds, description: `seconds for the write phase, which stops early (and verifies what it wrote) when reached; default ${burninDefaults.maxSeconds}` })),
    minWriteMBps: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'MB/s (10^6 bytes); slower writes fail; omitted = not checked' })),
    minReadMBps: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'MB/s (10^6 bytes); slower reads fail; omitted = not checked' })),
  },
  { additionalProperties: false },
);

/** cpustress: one worker thread per CPU for `seconds`, each hashing and checking the result; reports iterations/s per CPU and the hottest temperature sysfs reports. */
export const CpustressAction = Type.Object(
  {
    ...common,
    type: Type.Literal('cpustress'),
    seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400, default: burninDefaults.seconds, description: `seconds of load on every CPU; default ${burninDefaults.seconds}` })),
    maxTemperatureC: Type.Optional(Type.Number({ description: 'degrees Celsius; hotter fails; omitted = not checked (nor when the machine reports no temperature)' })),
  },
  { additionalProperties: false },
);

export const Action = Type.Union([PartitionAction, Image2DiskAction, WriteFileAction, KexecAction, RebootAction, EfiBootOrderAction, MemtestAction, DisktestAction, CpustressAction]);
export type Action = Static<typeof Action>;
export const actionTypes = ['partition', 'image2disk', 'writefile', 'kexec', 'reboot', 'efibootorder', 'memtest', 'disktest', 'cpustress'] as const;

export const TemplateSpec = Type.Object(
  {
    description: Type.Optional(Type.String()),
    os: Type.Optional(Type.String({ description: 'e.g. debian-12' })),
    variables: Type.Optional(Type.Record(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' }), Type.String())),
    secretVariables: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$', maxLength: 63 }), {
        maxItems: 64, // duplicates are refused in template-rules (Kubernetes CRDs forbid uniqueItems)
        description: 'names of variables whose values are secret: put with PUT /api/v1/templates/{name}/secrets/{variable}, stored encrypted, never returned; never give them a value in variables',
      }),
    ),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 604800, description: 'whole workflow, seconds; default 3600' })),
    actionTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400, description: 'per action default, seconds; default 1800' })),
    actions: Type.Array(Action, { minItems: 1, maxItems: 64 }),
  },
  { additionalProperties: false },
);
export type TemplateSpec = Static<typeof TemplateSpec>;

export const TemplateStatus = Type.Object({ message: Type.Optional(Type.String()) }, { additionalProperties: false });

export const Template = objectSchema('Template', TemplateSpec, TemplateStatus);
export type Template = Static<typeof Template>;
