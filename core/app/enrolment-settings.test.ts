import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadEnrolmentSettings, saveEnrolmentSettings } from './enrolment-settings.ts';

let dir = '';
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('enrolment settings file', () => {
  it('missing means open; a saved approve survives a restart; a damaged file is an error naming it, never a silent open', async () => {
    dir = await mkdtemp(join(tmpdir(), 'df-enrol-'));
    expect(await loadEnrolmentSettings(dir)).toEqual({ enrolment: 'open' });
    await saveEnrolmentSettings(dir, { enrolment: 'approve' });
    expect(await loadEnrolmentSettings(dir)).toEqual({ enrolment: 'approve' });
    await writeFile(join(dir, 'enrolment.json'), '{"enrolment": "aprove"}');
    await expect(loadEnrolmentSettings(dir)).rejects.toThrow(/enrolment\.json: not enrolment settings/);
  });
});
