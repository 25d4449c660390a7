import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Template } from '../model/template.ts';
import { DragonflyError, invalid } from '../shared/errors.ts';
import type { Store } from '../store/store.ts';

/**
 * Where secret template values live: the encrypted CredentialStore (AES-256-GCM, its own file),
 * never the object store, so no GET, watch or event can carry them.
 */
export interface SecretVault {
  get(ref: string): { secret: string } | undefined;
  set(ref: string, c: { secret: string }): void | Promise<void>;
  delete(ref: string): boolean | Promise<boolean>;
  refs(): string[];
}

/** The one spelling of a secret's reference in the vault. */
export const templateSecretRef = (template: string, variable: string) => `template/${template}/${variable}`;

/** The values of a template's secret variables; a declared secret without a value is an error naming how to put it. */
export function templateSecretValues(vault: SecretVault | undefined, tpl: Template): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of tpl.spec.secretVariables ?? []) {
    const value = vault?.get(templateSecretRef(tpl.metadata.name, name))?.secret;
    if (value === undefined) {
      throw new DragonflyError('DF_ERR_CONFLICT', `secret variable "${name}" of template ${tpl.metadata.name} has no value yet (PUT /api/v1/templates/${tpl.metadata.name}/secrets/${name})`);
    }
    out[name] = value;
  }
  return out;
}

type Params = { name: string; variable: string };

/** Drops every stored secret of a template that is gone; a template made later under its name starts with none. */
function forgetSecretsOf(vault: SecretVault, template: string): void {
  const prefix = templateSecretRef(template, '');
  for (const ref of vault.refs()) if (ref.startsWith(prefix)) vault.delete(ref);
}

/**
 * Deleting a template deletes its secrets, whichever way it was deleted (API, apply, another
 * instance on the same etcd): the store's watch says so. Secrets of templates deleted while
 * this server was down are dropped at start.
 */
async function forgetSecretsOfDeletedTemplates(app: FastifyInstance, deps: { store: Store; vault: SecretVault }): Promise<void> {
  const unwatch = await deps.store.watch({ kind: 'Template' }, (e) => {
    if (e.type !== 'DELETED') return;
    try {
      forgetSecretsOf(deps.vault, e.object.metadata.name);
    } catch {
      // an unreadable vault file: the sweep at the next start drops them
    }
  });
  app.addHook('onClose', async () => unwatch());
  const present = new Set((await deps.store.list<Template>('Template')).items.map((t) => t.metadata.name));
  const owners = new Set(deps.vault.refs().filter((r) => r.startsWith('template/')).map((r) => r.split('/')[1]));
  for (const owner of owners) if (!present.has(owner)) forgetSecretsOf(deps.vault, owner);
}

export async function templateSecretsPlugin(app: FastifyInstance, deps: { store: Store; vault: SecretVault }): Promise<void> {
  await forgetSecretsOfDeletedTemplates(app, deps);
  const declared = async (p: Params) => {
    const tpl = await deps.store.get<Template>('Template', p.name);
    if (!(tpl.spec.secretVariables ?? []).includes(p.variable)) {
      throw invalid(`template ${p.name} declares no secret variable "${p.variable}" (add it to spec.secretVariables first)`);
    }
    return templateSecretRef(p.name, p.variable);
  };

  app.put<{ Params: Params; Body: { value: string } }>(
    '/api/v1/templates/:name/secrets/:variable',
    {
      schema: {
        tags: ['Templates'],
        summary: 'Put the value of a secret template variable (encrypted at rest; write-only, never returned)',
        body: Type.Object({ value: Type.String({ minLength: 1, maxLength: 65536 }) }, { additionalProperties: false }),
      },
    },
    async (req, reply) => {
      await deps.vault.set(await declared(req.params), { secret: req.body.value });
      reply.status(204);
    },
  );

  app.delete<{ Params: Params }>(
    '/api/v1/templates/:name/secrets/:variable',
    { schema: { tags: ['Templates'], summary: 'Forget the value of a secret template variable' } },
    async (req, reply) => {
      if (!(await deps.vault.delete(await declared(req.params)))) throw new DragonflyError('DF_ERR_NOT_FOUND', `secret variable "${req.params.variable}" of template ${req.params.name} has no value`);
      reply.status(204);
    },
  );

  app.get<{ Params: { name: string } }>(
    '/api/v1/templates/:name/secrets',
    { schema: { tags: ['Templates'], summary: 'The secret variables of a template and whether each has a value (never the value)' } },
    async (req) => {
      const tpl = await deps.store.get<Template>('Template', req.params.name);
      const stored = new Set(deps.vault.refs());
      return { items: (tpl.spec.secretVariables ?? []).map((name) => ({ name, set: stored.has(templateSecretRef(tpl.metadata.name, name)) })) };
    },
  );
}
