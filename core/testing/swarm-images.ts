/** Test support for images in swarm mode: a small disk imported on one instance, and a machine enrolled and assigned. */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ControlPlane } from '../app/control-plane.ts';
import type { ImageStatus } from '../model/image-status.ts';
import { importFolderOf } from '../images/import-folder.ts';
import { sampleFacts, sampleTemplate } from './api-harness.ts';

/** A disk of `bytes` bytes with a pattern seeded by `name` (so two images differ). */
export function patternDisk(name: string, bytes = 256 << 10): Buffer {
  const seed = createHash('sha256').update(name).digest();
  return Buffer.from(Array.from({ length: bytes }, (_, i) => seed[i % seed.length] ^ (i >> 8)));
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const operator = (cp: ControlPlane) => ({ authorization: `Bearer ${cp.adminSession().token}` });

/** Imports `disk` as cache:NAME through the operator API of `cp` (its import folder, as an operator would). */
export async function importImage(cp: ControlPlane, name: string, disk: Buffer): Promise<void> {
  const folder = importFolderOf(cp.config.dataDir);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, `${name}.raw`), disk);
  const res = await cp.api.app.inject({ method: 'POST', url: '/api/v1/images/import', headers: operator(cp), payload: { name, path: `${name}.raw` } });
  expect(res.statusCode, res.body).toBe(200);
}

/** A template `name` whose disk image is cache:IMAGE. */
export async function cacheTemplate(cp: ControlPlane, name: string, image: string): Promise<void> {
  const tpl = sampleTemplate(name);
  tpl.spec.actions[0] = { ...tpl.spec.actions[0], image: { url: `cache:${image}` } } as (typeof tpl.spec.actions)[0];
  const res = await cp.api.app.inject({ method: 'POST', url: '/api/v1/templates', headers: operator(cp), payload: tpl });
  expect(res.statusCode, res.body).toBeLessThan(300);
}

/** Registers `mac` through `enrolVia`, assigns `template` through `assignVia`; returns the workflow and the agent's run token. */
export async function enrolAndAssign(enrolVia: ControlPlane, assignVia: ControlPlane, mac: string, template: string): Promise<{ workflow: string; token: string }> {
  const reg = await enrolVia.api.app.inject({ method: 'POST', url: '/api/agent/v1/register', headers: { authorization: `Bearer ${enrolVia.auth.issueEnrolmentToken(mac)}` }, payload: { mac, facts: machineFacts(mac) } });
  expect(reg.statusCode, reg.body).toBe(200);
  const { hardware, agentToken } = reg.json() as { hardware: string; agentToken: string };
  const assign = await assignVia.api.app.inject({ method: 'POST', url: '/api/v1/assign', headers: operator(assignVia), payload: { template, machines: [hardware] } });
  const workflow = (assign.json() as { results: Array<{ workflow: string }> }).results[0]?.workflow;
  expect(workflow, assign.body).toBeTruthy();
  const hb = await enrolVia.api.app.inject({ method: 'POST', url: '/api/agent/v1/heartbeat', headers: { authorization: `Bearer ${agentToken}` }, payload: { mac } });
  expect(hb.statusCode, hb.body).toBe(200);
  return { workflow, token: (hb.json() as { agentToken?: string }).agentToken ?? agentToken };
}

/** Facts of a machine of its own (the DMI UUID follows the MAC, so no two are taken for one). */
const machineFacts = (mac: string) => {
  const facts = sampleFacts([mac]);
  return { ...facts, dmi: { ...facts.dmi, uuid: `11111111-2222-3333-4444-${mac.replace(/:/g, '')}` } };
};

export async function untilTrue(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not true within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** GET /api/v1/images through `cp`, as its operator. */
export const imagesOf = async (cp: ControlPlane) =>
  ((await cp.api.app.inject({ url: '/api/v1/images', headers: { authorization: `Bearer ${cp.adminSession().token}` } })).json() as { items: ImageStatus[] }).items;

/** One image's row of that list. */
export const rowOf = async (cp: ControlPlane, key: string) => (await imagesOf(cp)).find((r) => r.key === key);

/** The agent's fetch of its workflow through `cp`, with its run's token. */
export const workflowThrough = (cp: ControlPlane, w: { workflow: string; token: string }) =>
  cp.api.app.inject({ url: `/api/agent/v1/workflows/${w.workflow}`, headers: { authorization: `Bearer ${w.token}` } });
