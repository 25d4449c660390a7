/**
 * The TFTP side of the Secure Boot chain: the signed shim and GRUB, GRUB's configurations and
 * the agent's kernel and initramfs, under the fixed names Debian's signed grubnetx64 asks for
 * (urls.ts tftpPaths). Debian's signed GRUB 2.06 has no HTTP client (docs/SECURE-BOOT.md), so
 * everything it loads comes over TFTP.
 */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isMac, parseMac } from '../shared/mac.ts';
import type { TftpFile, TftpResolver } from '../tftp/server.ts';
import { textFile } from '../tftp/resolvers.ts';
import { fileHandleReader } from '../tftp/sources.ts';
import { renderGrubEntryConfig } from './grub.ts';
import { AGENT_INITRD, AGENT_KERNEL, tftpPaths } from './urls.ts';

export interface SecureBootTftpDeps {
  /** Directory holding shimx64.efi and grubx64.efi (assets/secureboot). */
  signedDir: string;
  /** Directory holding the agent's vmlinuz and initramfs.img. */
  agentImageDir: string;
  /** The per-MAC configuration, decided where the iPXE script is (the boot endpoints); undefined: none. */
  grubConfig(mac: string, clientIp: string): Promise<string | undefined>;
}

/** Serves the chain's names; every other name falls through to the TFTP root (the iPXE binaries). */
export function secureBootTftpResolver(deps: SecureBootTftpDeps): TftpResolver {
  const files: Record<string, string> = {
    [tftpPaths.shim]: join(deps.signedDir, tftpPaths.shim),
    [tftpPaths.grub]: join(deps.signedDir, tftpPaths.grub),
    [tftpPaths.agentKernel]: join(deps.agentImageDir, AGENT_KERNEL),
    [tftpPaths.agentInitrd]: join(deps.agentImageDir, AGENT_INITRD),
  };
  return async (path, client) => {
    if (path === tftpPaths.grubEntry) return textFile(renderGrubEntryConfig());
    if (path.startsWith(tftpPaths.grubMacPrefix)) {
      const mac = path.slice(tftpPaths.grubMacPrefix.length);
      if (!isMac(mac)) return undefined;
      const text = await deps.grubConfig(parseMac(mac), client.address);
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
