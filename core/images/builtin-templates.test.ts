import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Compile } from 'typebox/compile';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { validateObject } from '../model/kinds.ts';
import { Template, type Action, type TemplateSpec } from '../model/template.ts';
import { validateTemplateSemantics } from '../workflow/template-rules.ts';
import { renderTemplateText } from '../workflow/variables.ts';
import { checkImageVerifiable, ProposedImageSource } from './image-source-schema.ts';

const dir = join(import.meta.dirname, '..', '..', 'assets', 'templates');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
const load = (f: string) => parse(readFileSync(join(dir, f), 'utf8')) as { metadata: { name: string }; spec: TemplateSpec };

/** The Template schema with image2disk's `image` replaced by the proposed one (the change the lead applies in core/model/template.ts). */
function proposedTemplateSchema(): object {
  const s = structuredClone(Template) as unknown as { properties: { spec: { properties: { actions: { items: { anyOf: Array<{ properties: Record<string, unknown> }> } } } } } };
  const image2disk = s.properties.spec.properties.actions.items.anyOf.find((a) => (a.properties.type as { const?: string }).const === 'image2disk');
  if (!image2disk) throw new Error('Template schema has no image2disk action');
  image2disk.properties.image = ProposedImageSource;
  return s;
}
const proposed = Compile(proposedTemplateSchema() as typeof Template);

describe('built-in templates (assets/templates)', () => {
  it('there are the four expected templates', () => {
    expect(files.map((f) => load(f).metadata.name).sort()).toEqual(['debian-12', 'debian-13', 'local-image', 'ubuntu-24-04']);
  });

  for (const f of files) {
    describe(f, () => {
      const tpl = load(f);

      it('is valid under the proposed image schema and the semantic rules', () => {
        expect([...proposed.Errors(tpl)].map((e) => `${e.instancePath}: ${e.message}`)).toEqual([]);
        expect(() => validateTemplateSemantics(tpl.spec)).not.toThrow();
        tpl.spec.actions.forEach((a, i) => a.type === 'image2disk' && checkImageVerifiable(`/spec/actions/${i}`, a.image));
      });

      it('fails the CURRENT schema only because image.checksum is required and fileChecksum unknown (the schema change)', () => {
        let problems: string[] = [];
        try {
          validateObject(tpl);
        } catch (err) {
          problems = ((err as { details?: { problems: string[] } }).details?.problems ?? []).sort();
        }
        const i = tpl.spec.actions.findIndex((a) => a.type === 'image2disk');
        const image = tpl.spec.actions[i].type === 'image2disk' ? (tpl.spec.actions[i] as Extract<Action, { type: 'image2disk' }>).image : undefined;
        const expected = [`/spec/actions/${i}/image: missing required field(s) ["checksum"]`];
        if (image && 'fileChecksum' in image) expected.push(`/spec/actions/${i}/image: unknown field(s) ["fileChecksum"]`);
        expect(problems).toEqual(expected.sort());
      });

      it('is image2disk, a NoCloud seed with the hostname and key, then reboot', () => {
        const types = tpl.spec.actions.map((a) => a.type);
        expect(types.slice(-4)).toEqual(['image2disk', 'writefile', 'writefile', 'reboot']);
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

  it('the proposed rule refuses a network image with no checksum at all, and accepts cache:NAME without one', () => {
    expect(() => checkImageVerifiable('/spec/actions/0', { url: 'https://example.org/x.qcow2' })).toThrow(/give checksum .* or fileChecksum/);
    expect(() => checkImageVerifiable('/spec/actions/0', { url: 'cache:x' })).not.toThrow();
  });
});
