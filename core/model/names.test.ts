import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { memorableName, nameSlug, uniqueMemorableName, wordList } from './names.ts';
import { NAME_PATTERN } from './meta.ts';

const macOf = (n: number) => `52:54:00:${[(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;

describe('memorable names', () => {
  it('is deterministic: the same MAC gives the same name in any spelling', () => {
    expect(memorableName('52:54:00:12:34:56')).toBe(memorableName('52-54-00-12-34-56'));
    expect(memorableName('52:54:00:12:34:56')).toBe(memorableName('525400123456'));
    expect(memorableName('52:54:00:12:34:56')).toBe(memorableName('52:54:00:12:34:56'));
  });

  it('is three capitalised BIP39 words and a valid object name as a slug', () => {
    const name = memorableName('52:54:00:12:34:56');
    const words = name.split(' ');
    expect(words).toHaveLength(3);
    for (const w of words) {
      expect(w[0]).toBe(w[0].toUpperCase());
      expect(wordList).toContain(w.toLowerCase());
    }
    expect(nameSlug(name)).toMatch(new RegExp(NAME_PATTERN));
  });

  it('gives sequential MACs unrelated names (no word shared in the same position)', () => {
    let samePosition = 0;
    for (let i = 0; i < 1000; i++) {
      const a = memorableName(macOf(i)).split(' ');
      const b = memorableName(macOf(i + 1)).split(' ');
      samePosition += a.filter((w, j) => w === b[j]).length;
    }
    // 3000 positions, 1/2048 chance each by accident: expect about 1.5, never most.
    expect(samePosition).toBeLessThan(10);
  });

  it('collision rate over 100,000 random MACs, and disambiguation keeps every name unique', () => {
    const taken = new Set<string>();
    let collisions = 0;
    for (let i = 0; i < 100_000; i++) {
      const mac = randomBytes(6).toString('hex');
      const base = memorableName(mac);
      if (taken.has(base)) collisions++;
      taken.add(uniqueMemorableName(mac, (n) => taken.has(n)));
    }
    expect(taken.size).toBe(100_000);
    const rate = collisions / 100_000;
    console.log(`memorable names: ${collisions} three-word collisions in 100,000 random MACs (${(rate * 100).toFixed(3)} %), resolved with a fourth word`);
    // 2048^3 ≈ 8.6e9 names: the birthday bound for 1e5 draws is about 0.6 expected collisions.
    expect(rate).toBeLessThan(0.001);
  });

  it('resolves a clash deterministically with a four-word name', () => {
    const mac = '52:54:00:aa:bb:cc';
    const first = memorableName(mac);
    const clash = uniqueMemorableName(mac, (n) => n === first);
    expect(clash).not.toBe(first);
    expect(clash.split(' ')).toHaveLength(4);
    expect(uniqueMemorableName(mac, (n) => n === first)).toBe(clash);
  });

  it('rejects something that is not a MAC, naming it', () => {
    expect(() => memorableName('not-a-mac')).toThrow(/not-a-mac/);
  });
});
