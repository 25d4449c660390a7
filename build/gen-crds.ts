import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrds } from '../core/model/crd.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'crds');
for (const [file, text] of Object.entries(renderCrds())) {
  await writeFile(join(dir, file), text);
  console.log(`wrote build/crds/${file}`);
}
