import { describe, expect, it } from 'vitest';
import { firstTftpResolver } from './resolvers.ts';
import type { TftpResolver } from './server.ts';

const client = { address: '10.77.0.130', port: 1024 };

describe('firstTftpResolver', () => {
  it('the first resolver that serves a name wins; none: undefined (the TFTP root)', async () => {
    const file = (s: string) => ({ size: s.length, open: () => new TextEncoder().encode(s) });
    const a: TftpResolver = async (p) => (p === 'a' ? file('A') : undefined);
    const b: TftpResolver = async (p) => (p !== 'x' ? file('B') : undefined);
    const both = firstTftpResolver(a, undefined, b);
    expect((await both('a', client))?.size).toBe(1);
    expect(new TextDecoder().decode((await (await both('b', client))!.open()) as Uint8Array)).toBe('B');
    expect(await both('x', client)).toBeUndefined();
  });
});
