import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderCrds } from './crd.ts';

const dir = join(import.meta.dirname, '..', '..', 'build', 'crds');

describe('CustomResourceDefinition manifests', () => {
  for (const [file, text] of Object.entries(renderCrds())) {
    it(`build/crds/${file} is up to date with core/model (run npm run gen:crds if this fails)`, () => {
      expect(readFileSync(join(dir, file), 'utf8')).toBe(text);
    });
    it(`${file} is a structural v1 CRD with a status subresource`, () => {
      const crd = parse(text);
      expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
      expect(crd.spec.group).toBe('dragonfly.computer');
      const v = crd.spec.versions[0];
      expect(v.subresources).toEqual({ status: {} });
      expect(JSON.stringify(v.schema)).not.toContain('anyOf');
      expect(v.schema.openAPIV3Schema.properties.spec.type).toBe('object');
    });
  }
});
