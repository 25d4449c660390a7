/**
 * The TFTP side of the Secure Boot chain: the signed shim and GRUB, GRUB's configurations and
 * the agent's kernel and initramfs, under the fixed names Debian's signed grubnetx64 asks for
 * (urls.ts tftpPaths), and the arm64 chain's beside them (signed-chain.ts). Debian's signed
 * GRUB 2.06 has no HTTP client (docs/SECURE-BOOT.md), so everything it loads comes over TFTP.
 */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isMac, parseMac } from '../shared/mac.ts';
import type { TftpFile, TftpResolver } from '../tftp/server.ts';
import { textFile } from '../tftp/resolvers.ts';
import { fileHandleReader } from '../tftp/sources.ts';
import { agentImageDirFor } from './agent-arch.ts';
import { renderGrubEntryConfig } from './grub.ts';
import { SIGNED_CHAIN } from './signed-chain.ts';
import { AGENT_IMAGE_ARCHES, AGENT_INITRD, AGENT_KERNEL, tftpPaths, type AgentImageArch } from './urls.ts';

export interface SecureBootTftpDeps {
  /** Directory holding shimx64.efi, grubx64.efi, shimaa64.efi and grubaa64.efi (assets/secureboot). */
  signedDir: string;
  /** Directory holding the host agent's vmlinuz and initramfs.img (the arm64 image is beside it: agent-arch.ts). */
  agentImageDir: string;
  /** The per-MAC configuration for a GRUB of that architecture, decided where the iPXE script is (the boot endpoints); undefined: none. */
  grubConfig(mac: string, clientIp: string, arch: AgentImageArch): Promise<string | undefined>;
}

/** Serves the chain's names; every other name falls through to the TFTP root (the iPXE binaries). */
export function secureBootTftpResolver(deps: SecureBootTftpDeps): TftpResolver {
  const files: Record<string, string> = {};
  for (const arch of AGENT_IMAGE_ARCHES) {
    const names = SIGNED_CHAIN[arch];
    const agentDir = agentImageDirFor(deps.agentImageDir, arch);
    files[names.shim] = join(deps.signedDir, names.shim);
    files[names.grub] = join(deps.signedDir, names.grub);
    files[names.agentKernel] = join(agentDir, AGENT_KERNEL);
    files[names.agentInitrd] = join(agentDir, AGENT_INITRD);
  }
  return async (path, client) => {
    if (path === tftpPaths.grubEntry) return textFile(renderGrubEntryConfig());
    for (const arch of AGENT_IMAGE_ARCHES) {
      const prefix = SIGNED_CHAIN[arch].grubMacPrefix;
      if (!path.startsWith(prefix)) continue;
      const mac = path.slice(prefix.length);
      if (!isMac(mac)) return undefined;
      const text = await deps.grubConfig(parseMac(mac), client.address, arch);
      return text === undefined ? undefined : textFile(text);
    }
    const file = files[path];
    return file ? diskFile(file) : undefined;
  };
}

/** Undefined when the file is absent: the lookup falls through to the root, which answers "file not found". */
async function diskFile(path: string): Promise<TftpFile | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  return { size: info.size, open: async () => fileHandleReader(await open(path, 'r')) };
}
