import type { DiskSelector, TemplateSpec } from '../model/template.ts';
import { invalid } from '../shared/errors.ts';

/** Variables every workflow has without the template declaring them. */
export const builtinVariables = ['hostname', 'memorableName', 'machine', 'mac', 'ipAddress', 'serverUrl'] as const;

const VAR_RE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s*\|\s*([a-z]+))?\s*\}\}/g;

/** Names of {{ variables }} referenced in a text. */
export function referencedVariables(text: string): string[] {
  return [...text.matchAll(VAR_RE)].map((m) => m[1]);
}

function checkDisk(where: string, d: DiskSelector): void {
  const ways = (['path', 'serial', 'wwn', 'rule'] as const).filter((k) => d[k] !== undefined);
  if (ways.length !== 1) {
    throw invalid(`${where}/disk: choose the disk in exactly one way (path, serial, wwn or rule); got ${ways.length ? ways.join(' and ') : 'none'}`);
  }
  const r = d.rule;
  if (r && r.minSizeBytes && r.maxSizeBytes && r.minSizeBytes > r.maxSizeBytes) {
    throw invalid(`${where}/disk/rule: minSizeBytes ${r.minSizeBytes} is larger than maxSizeBytes ${r.maxSizeBytes}`);
  }
}

/**
 * An image fetched from the network must be verifiable by one of its checksums; an imported
 * image (cache:NAME) needs none: the operator provided the file and the cache digests it.
 */
export function checkImageVerifiable(where: string, image: { url: string; checksum?: string; fileChecksum?: unknown }): void {
  if (image.url.startsWith('cache:')) return;
  if (!/^https?:\/\//.test(image.url)) throw invalid(`${where}/image/url: must be http(s)://... or cache:NAME (got "${image.url}")`);
  if (!image.checksum && !image.fileChecksum) {
    throw invalid(`${where}/image: give checksum (digest of the raw disk) or fileChecksum (the published digest of the downloaded file, or the SHA*SUMS URL listing it)`);
  }
}

/** Actions that leave something on a disk; disktest, which overwrites it, must come before them. */
const diskWriters = new Set(['partition', 'image2disk', 'writefile', 'efibootorder']);

/** Rules the schema cannot say: unique action names, explicit disks, defined variables. */
export function validateTemplateSemantics(spec: TemplateSpec): void {
  const names = new Set<string>();
  for (const [i, name] of (spec.secretVariables ?? []).entries()) {
    if (spec.secretVariables!.indexOf(name) !== i) throw invalid(`/spec/secretVariables/${i}: "${name}" is listed twice`);
    if (Object.hasOwn(spec.variables ?? {}, name)) {
      throw invalid(`/spec/variables/${name}: "${name}" is a secret variable; remove its value here and put it with PUT /api/v1/templates/<name>/secrets/${name} (stored encrypted)`);
    }
  }
  const declared = new Set([...builtinVariables, ...Object.keys(spec.variables ?? {}), ...(spec.secretVariables ?? [])]);
  let handedOver: { type: string; name: string; index: number } | undefined;
  let written: { type: string; name: string; index: number } | undefined;
  spec.actions.forEach((a, i) => {
    const where = `/spec/actions/${i}`;
    if (names.has(a.name)) throw invalid(`${where}/name: action name "${a.name}" is used twice`);
    names.add(a.name);
    if ('disk' in a) checkDisk(where, a.disk);
    if (a.type === 'efibootorder' && handedOver) {
      throw invalid(`${where}: efibootorder "${a.name}" comes after ${handedOver.type} "${handedOver.name}" (/spec/actions/${handedOver.index}) and would never run; put it before`);
    }
    if (a.type === 'disktest' && written) {
      throw invalid(`${where}: disktest "${a.name}" comes after ${written.type} "${written.name}" (/spec/actions/${written.index}) and would overwrite what it wrote; put burn-in checks before`);
    }
    if (diskWriters.has(a.type) && !written) written = { type: a.type, name: a.name, index: i };
    if ((a.type === 'reboot' || a.type === 'kexec') && !handedOver) handedOver = { type: a.type, name: a.name, index: i };
    if (a.type === 'image2disk') checkImageVerifiable(where, a.image);
    const texts = a.type === 'writefile' ? [a.content, a.path] : a.type === 'kexec' ? [a.cmdline ?? ''] : [];
    for (const t of texts) {
      for (const v of referencedVariables(t)) {
        if (!declared.has(v)) throw invalid(`${where}: variable "${v}" is not defined (declare it in /spec/variables or /spec/secretVariables, or use one of ${builtinVariables.join(', ')})`);
      }
    }
  });
}
