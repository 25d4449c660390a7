import { stringify } from 'yaml';
import type { Template } from '../../../../core/model/template.ts';

/** A template as an operator edits it: no server-owned fields (uid, resourceVersion, status). */
export function templateToYaml(t: Template): string {
  const { name, labels, annotations } = t.metadata;
  const doc = {
    apiVersion: t.apiVersion,
    kind: t.kind,
    metadata: { name, ...(labels && Object.keys(labels).length ? { labels } : {}), ...(annotations && Object.keys(annotations).length ? { annotations } : {}) },
    spec: t.spec,
  };
  return stringify(doc, { lineWidth: 0 });
}

export const starterTemplate = `apiVersion: dragonfly.computer/v1
kind: Template
metadata:
  name: debian-12
spec:
  description: Debian 12 on the smallest non-removable disk
  os: debian-12
  actions:
    - name: write-image
      type: image2disk
      disk:
        rule: { pick: smallest }
      image:
        url: cache:debian-12-generic-amd64.raw.zst
        checksum: sha256:0000000000000000000000000000000000000000000000000000000000000000
        format: zst
    - name: reboot
      type: reboot
`;

/** JSON if it looks like JSON, else YAML: the apply endpoint takes both. */
export function contentTypeFor(text: string): string {
  const t = text.trimStart();
  return t.startsWith('{') || t.startsWith('[') ? 'application/json' : 'application/yaml';
}

export interface ApplyResult {
  kind: string;
  name: string;
  action: 'created' | 'updated' | 'unchanged';
}

/** "/spec/actions/0/disk: must ..." -> ["/spec/actions/0/disk", "must ..."], for a field column. */
export function splitProblem(problem: string): { field: string; message: string } {
  const m = /^(\/[^:]*):\s*(.*)$/.exec(problem);
  return m ? { field: m[1], message: m[2] } : { field: '', message: problem };
}

/** The server lists problems in details.problems; older answers put them in the message after "invalid X: ". */
export function problemsFrom(message: string, problems: string[]): string[] {
  // The schema reports a union mismatch once per branch; the same line twice helps nobody.
  if (problems.length) return [...new Set(problems)];
  const m = /^invalid \w+: (.*)$/.exec(message);
  return m ? [...new Set(m[1].split('; '))] : [];
}
