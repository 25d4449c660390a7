import { describe, expect, it } from 'vitest';
import { planReset } from './reset-plan.ts';
import { bootPatchFor } from './boot-override.ts';

const rackmount = ['On', 'ForceOff', 'GracefulShutdown', 'GracefulRestart', 'ForceRestart', 'Nmi', 'ForceOn', 'PushPowerButton'];

describe('planReset', () => {
  it.each([
    ['on', 'On'],
    ['off', 'ForceOff'],
    ['softOff', 'GracefulShutdown'],
    ['reset', 'ForceRestart'],
  ] as const)('%s maps to %s on the rackmount mockup', (op, want) => {
    expect(planReset(op, rackmount)).toEqual({ ok: true, plan: { kind: 'single', resetType: want } });
  });

  it('cycle without PowerCycle becomes ForceOff then On', () => {
    expect(planReset('cycle', rackmount)).toEqual({ ok: true, plan: { kind: 'offThenOn', offType: 'ForceOff', onType: 'On' } });
  });

  it('cycle prefers PowerCycle when advertised', () => {
    expect(planReset('cycle', [...rackmount, 'PowerCycle'])).toEqual({ ok: true, plan: { kind: 'single', resetType: 'PowerCycle' } });
  });

  it('falls back to ForceOn and GracefulRestart', () => {
    expect(planReset('on', ['ForceOn'])).toMatchObject({ plan: { resetType: 'ForceOn' } });
    expect(planReset('reset', ['GracefulRestart'])).toMatchObject({ plan: { resetType: 'GracefulRestart' } });
  });

  it('says which values the BMC allows when none fits', () => {
    const r = planReset('off', ['Nmi', 'PushPowerButton']);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain('["Nmi","PushPowerButton"]');
    expect(!r.ok && r.reason).toContain('ForceOff');
  });

  it('uses the first preference when the BMC advertises no list', () => {
    expect(planReset('softOff', undefined)).toMatchObject({ plan: { resetType: 'GracefulShutdown' } });
  });
});

describe('bootPatchFor', () => {
  const boot = { BootSourceOverrideMode: 'UEFI', 'BootSourceOverrideTarget@Redfish.AllowableValues': ['None', 'Pxe', 'Hdd'] };

  it('pxe once in UEFI mode', () => {
    expect(bootPatchFor({ device: 'pxe', persistent: false, uefi: true }, boot)).toEqual({
      ok: true,
      patch: { Boot: { BootSourceOverrideEnabled: 'Once', BootSourceOverrideTarget: 'Pxe', BootSourceOverrideMode: 'UEFI' } },
    });
  });

  it('disk persistent in legacy mode', () => {
    expect(bootPatchFor({ device: 'disk', persistent: true, uefi: false }, boot)).toMatchObject({
      patch: { Boot: { BootSourceOverrideEnabled: 'Continuous', BootSourceOverrideTarget: 'Hdd', BootSourceOverrideMode: 'Legacy' } },
    });
  });

  it('leaves the mode out when the system has no BootSourceOverrideMode', () => {
    const r = bootPatchFor({ device: 'pxe', persistent: false, uefi: true }, { BootSourceOverrideTarget: 'None' });
    expect(r.ok && r.patch.Boot).not.toHaveProperty('BootSourceOverrideMode');
  });

  it('refuses a target the BMC does not allow', () => {
    const r = bootPatchFor({ device: 'pxe', persistent: false, uefi: true }, { 'BootSourceOverrideTarget@Redfish.AllowableValues': ['Hdd'] });
    expect(r).toEqual({ ok: false, reason: 'the BMC allows BootSourceOverrideTarget ["Hdd"], not "Pxe"' });
  });
});
