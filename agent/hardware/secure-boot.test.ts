import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectSnapshot } from './collect.ts';
import { detectHardware } from './detect.ts';
import { SECURE_BOOT_VAR } from './secure-boot.ts';

// A fake root with an efivarfs directory: the collector reads exactly what the machine has.
let root = '';
afterEach(() => rmSync(root, { recursive: true, force: true }));

function machine(secureBootVar?: number[]): string {
  root = mkdtempSync(join(tmpdir(), 'dfa-efivars-'));
  mkdirSync(join(root, '/sys/firmware/efi/efivars'), { recursive: true });
  if (secureBootVar) writeFileSync(join(root, SECURE_BOOT_VAR), Buffer.from(secureBootVar));
  return root;
}

describe('secureBoot fact from efivarfs', () => {
  it('enforcing: attributes 0x06 (boot service + runtime access), value 1', () => {
    expect(detectHardware(collectSnapshot(machine([0x06, 0, 0, 0, 1]))).secureBoot).toBe(true);
  });
  it('not enforcing: value 0 (Secure Boot off in the firmware setup, or setup mode)', () => {
    expect(detectHardware(collectSnapshot(machine([0x06, 0, 0, 0, 0]))).secureBoot).toBe(false);
  });
  it('UEFI without the variable readable (efivarfs not mounted, or a truncated read) is unknown, not guessed', () => {
    const facts = detectHardware(collectSnapshot(machine()));
    expect(facts.firmware).toBe('uefi');
    expect(facts).not.toHaveProperty('secureBoot');
    expect(detectHardware(collectSnapshot(machine([0x06, 0, 0])))).not.toHaveProperty('secureBoot');
  });
  it('reads the file the kernel shows: SecureBoot under the EFI_GLOBAL_VARIABLE GUID (UEFI 2.10 §3.3)', () => {
    // Spelled out, not derived: a wrong GUID here once made every VM report "unknown".
    expect(SECURE_BOOT_VAR).toBe('/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c');
  });
  it('BIOS has no Secure Boot: false', () => {
    root = mkdtempSync(join(tmpdir(), 'dfa-bios-'));
    mkdirSync(dirname(join(root, '/proc/cpuinfo')), { recursive: true });
    writeFileSync(join(root, '/proc/cpuinfo'), 'processor\t: 0\n');
    expect(detectHardware(collectSnapshot(root))).toMatchObject({ firmware: 'bios', secureBoot: false });
  });
});
