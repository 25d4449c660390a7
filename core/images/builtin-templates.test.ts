import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { validateObject } from '../model/kinds.ts';
import type { TemplateSpec } from '../model/template.ts';
import { checkImageVerifiable, validateTemplateSemantics } from '../workflow/template-rules.ts';
import { renderTemplateText } from '../workflow/variables.ts';

const dir = join(import.meta.dirname, '..', '..', 'assets', 'templates');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
const load = (f: string) => parse(readFileSync(join(dir, f), 'utf8')) as { metadata: { name: string }; spec: TemplateSpec };

describe('built-in templates (assets/templates)', () => {
  it('there are the four expected templates', () => {
    expect(files.map((f) => load(f).metadata.name).sort()).toEqual(['debian-12', 'debian-13', 'local-image', 'ubuntu-24-04']);
  });

  for (const f of files) {
    describe(f, () => {
      const tpl = load(f);

      it('validates as a Template (schema and semantic rules) and its images are verifiable', () => {
        expect(() => validateObject(tpl)).not.toThrow();
        expect(() => validateTemplateSemantics(tpl.spec)).not.toThrow();
      });

      it('is image2disk, a NoCloud seed with the hostname and key, the UEFI boot order for that disk, then reboot', () => {
        const types = tpl.spec.actions.map((a) => a.type);
        expect(types.slice(-5)).toEqual(['image2disk', 'writefile', 'writefile', 'efibootorder', 'reboot']);
        const diskOf = (type: string) => tpl.spec.actions.find((a) => a.type === type && 'disk' in a) as { disk: unknown } | undefined;
        expect(diskOf('efibootorder')?.disk).toEqual(diskOf('image2disk')?.disk); // the disk the image went to
        const files = Object.fromEntries(
          tpl.spec.actions.flatMap((a) => (a.type === 'writefile' ? [[a.path, renderTemplateText(a.content, { hostname: 'amber-falcon', machine: 'amber-falcon', sshAuthorizedKey: 'ssh-ed25519 AAAA x: y' }, a.contentFormat)]] : [])),
        );
        const userData = files['/var/lib/cloud/seed/nocloud/user-data'];
        expect(userData.startsWith('#cloud-config\n')).toBe(true);
        expect(parse(userData)).toEqual({ hostname: 'amber-falcon', preserve_hostname: false, ssh_authorized_keys: ['ssh-ed25519 AAAA x: y'] });
        expect(parse(files['/var/lib/cloud/seed/nocloud/meta-data'])).toEqual({ 'instance-id': 'amber-falcon', 'local-hostname': 'amber-falcon' });
      });
    });
  }

  it('the rule refuses a network image with no checksum at all, and accepts cache:NAME without one', () => {
    expect(() => checkImageVerifiable('/spec/actions/0', { url: 'https://example.org/x.qcow2' })).toThrow(/give checksum .* or fileChecksum/);
    expect(() => checkImageVerifiable('/spec/actions/0', { url: 'cache:x' })).not.toThrow();
  });
});
