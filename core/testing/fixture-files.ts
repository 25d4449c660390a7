/**
 * Where the test fixtures live: core/testing/fixtures, inside the repository (see the README
 * there for each file's source and licence). Every reader asks here, so a clone placed
 * anywhere finds them and nothing reads a folder beside the repository.
 */
import { fileURLToPath } from 'node:url';

export const fixturesDir = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A fixture by its path under core/testing/fixtures, e.g. fixtureFile('dhcp', 'pxe-rom-exchange.pcap'). */
export function fixtureFile(...parts: string[]): string {
  return fileURLToPath(new URL(parts.join('/'), new URL('./fixtures/', import.meta.url)));
}
