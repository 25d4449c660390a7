import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { parseMac } from '../shared/mac.ts';

// bip39 ships every language; we only read the English list (2048 words, RFC-free, BIP-0039).
const require = createRequire(import.meta.url);
const english: string[] = require('bip39/src/wordlists/english.json');

export const WORDS_PER_NAME = 3;

const capitalise = (w: string) => w[0].toUpperCase() + w.slice(1);

/**
 * Word indices for a MAC and a disambiguation round. The MAC goes through SHA-256 first,
 * so sequential MACs (52:54:00:00:00:01, ...:02) get unrelated words in every position.
 */
function wordIndices(mac: string, round: number, count: number): number[] {
  const digest = createHash('sha256').update(`dragonfly-name:${mac}:${round}`).digest();
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(digest.readUInt16BE(i * 2) & 0x7ff); // 11 bits: 2048 words
  return out;
}

/** "Amber Falcon Orbit" for a MAC; round > 0 gives the alternates used on collision. */
export function memorableName(macInput: string, round = 0): string {
  const mac = parseMac(macInput);
  const count = round === 0 ? WORDS_PER_NAME : WORDS_PER_NAME + 1;
  return wordIndices(mac, round, count)
    .map((i) => capitalise(english[i]))
    .join(' ');
}

/** Object name form: "amber-falcon-orbit". */
export function nameSlug(displayName: string): string {
  return displayName.toLowerCase().replace(/\s+/g, '-');
}

/**
 * Name for a MAC that does not clash with names already taken by other machines.
 * Deterministic: the same fleet in the same order always yields the same names, and a
 * machine whose three-word name is free always gets it. On a clash it moves to four words
 * (round 1, 2, ...), so a collision never changes anyone else's name.
 */
export function uniqueMemorableName(mac: string, isTaken: (displayName: string) => boolean): string {
  for (let round = 0; round < 64; round++) {
    const candidate = memorableName(mac, round);
    if (!isTaken(candidate)) return candidate;
  }
  throw new Error(`no free memorable name for ${mac} after 64 rounds`);
}

export const wordList: readonly string[] = english;
