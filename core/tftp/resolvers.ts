/**
 * Building blocks for the server's generated-content hook (`TftpResolver`): a file made of text
 * (boot scripts, GRUB configurations) and resolvers asked in turn.
 */
import type { TftpFile, TftpResolver } from './server.ts';

/** A generated text file, served from memory. */
export function textFile(text: string): TftpFile {
  const bytes = new TextEncoder().encode(text);
  return { size: bytes.length, open: () => bytes };
}

/** Resolvers asked in order; the first that serves a name wins, none: the TFTP root. */
export function firstTftpResolver(...resolvers: (TftpResolver | undefined)[]): TftpResolver {
  const chain = resolvers.filter((r): r is TftpResolver => r !== undefined);
  return async (path, client) => {
    for (const resolve of chain) {
      const file = await resolve(path, client);
      if (file) return file;
    }
    return undefined;
  };
}
