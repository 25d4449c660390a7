import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Compile } from 'typebox/compile';
import { defaultEnrolmentSettings, EnrolmentSettings } from '../contract/enrolment.ts';
import { writeFileDurable } from '../shared/durable-file.ts';

export const ENROLMENT_FILE = 'enrolment.json';
const check = Compile(EnrolmentSettings);

/** The saved setting; a missing file is the default (open). A damaged one refuses to start: it may have said approve. */
export async function loadEnrolmentSettings(dataDir: string): Promise<EnrolmentSettings> {
  const file = join(dataDir, ENROLMENT_FILE);
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (text === undefined) return defaultEnrolmentSettings;
  const value: unknown = JSON.parse(text);
  if (!check.Check(value)) throw new Error(`${file}: not enrolment settings (want {"enrolment": "open" | "approve"})`);
  return value;
}

export async function saveEnrolmentSettings(dataDir: string, s: EnrolmentSettings): Promise<void> {
  await writeFileDurable(join(dataDir, ENROLMENT_FILE), JSON.stringify(s, null, 2), 0o644);
}
