import { API_VERSION, type StoredObject } from '../core/model/meta.ts';

const hex2 = (n: number) => (n & 0xff).toString(16).padStart(2, '0');
const mac = (i: number, port: number) => `52:54:${hex2(port)}:${hex2(i >> 16)}:${hex2(i >> 8)}:${hex2(i)}`;

/** A Hardware object the size of a real registered server: four disks, three NICs, DMI, BMC, conditions. */
export function benchHardware(i: number): StoredObject {
  const name = `node-${String(i).padStart(5, '0')}`;
  const now = new Date(1_760_000_000_000 + i * 1000).toISOString();
  return {
    apiVersion: API_VERSION,
    kind: 'Hardware',
    metadata: {
      name,
      labels: { rack: `r${i % 40}`, row: `row-${i % 8}`, 'dragonfly.computer/arch': 'x86_64', ...(i % 10 === 0 ? { gpu: 'a100' } : {}) },
      annotations: { 'dragonfly.computer/registered-by': 'agent 0.1.0' },
    },
    spec: {
      macs: [mac(i, 0), mac(i, 1), mac(i, 2)],
      displayName: `Amber Falcon ${i}`,
      facts: {
        cpu: { model: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz', sockets: 2, cores: 64, threads: 128, arch: 'x86_64' },
        memoryBytes: 512 * 2 ** 30,
        disks: [0, 1, 2, 3].map((d) => ({
          name: d < 2 ? `nvme${d}n1` : `sd${'ab'[d - 2]}`,
          path: d < 2 ? `/dev/nvme${d}n1` : `/dev/sd${'ab'[d - 2]}`,
          sizeBytes: d < 2 ? 3_840_755_982_336 : 960_197_124_096,
          model: d < 2 ? 'SAMSUNG MZQL23T8HCLS-00A07' : 'MTFDDAK960TDS',
          serial: `S64HNE0R${String(i * 4 + d).padStart(6, '0')}`,
          wwn: `eui.36344730526${String(i * 4 + d).padStart(5, '0')}`,
          rotational: false,
          removable: false,
          transport: d < 2 ? 'nvme' : 'sata',
        })),
        nics: [0, 1, 2].map((n) => ({
          name: n === 0 ? 'eno1' : `ens${n}f0`,
          mac: mac(i, n),
          link: 'up',
          speedMbps: n === 0 ? 1000 : 25000,
          driver: n === 0 ? 'igb' : 'mlx5_core',
          pciAddress: `0000:${hex2(0x18 + n)}:00.0`,
        })),
        dmi: { vendor: 'Supermicro', product: 'SYS-120U-TNR', serial: `S${String(i).padStart(9, '0')}`, uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` },
        firmware: 'uefi',
        virtualization: 'none',
      },
      bmc: { protocol: 'ipmi', address: `10.10.${(i >> 8) & 0xff}.${i & 0xff}:623`, credentialRef: 'rack-bmc' },
      tags: ['prod', `pod-${i % 4}`],
    },
    status: {
      state: 'Ready',
      lastSeen: now,
      ipAddress: `10.20.${(i >> 8) & 0xff}.${i & 0xff}`,
      conditions: [{ type: 'AgentConnected', status: 'True', reason: 'Heartbeat', lastTransitionTime: now }],
    },
  };
}
