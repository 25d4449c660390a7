import type { RouteOptions } from 'fastify';
import { bootRoutes } from '../boot/urls.ts';

export interface RouteRecord {
  method: string;
  url: string;
  access: 'operator' | 'machine' | 'public';
  schema?: { summary?: string; tags?: string[]; body?: unknown; querystring?: unknown };
}

/** Collects every route as it is registered: the OpenAPI document and the auth test both read it. */
export function routeRecorder(list: RouteRecord[]) {
  return (r: RouteOptions) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) {
      if (m === 'HEAD') continue; // fastify's automatic twins of GET routes
      list.push({ method: m, url: r.url, access: (r.config as { access?: RouteRecord['access'] })?.access ?? 'operator', schema: r.schema as RouteRecord['schema'] });
    }
  };
}

export function openApiDocument(routes: RouteRecord[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    if (r.url.includes('*') && r.url !== bootRoutes.images) continue;
    const path = r.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const params = [...r.url.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    (paths[path] ??= {})[r.method.toLowerCase()] = {
      summary: r.schema?.summary,
      tags: r.schema?.tags,
      parameters: params.length ? params : undefined,
      security: r.access === 'public' ? [] : r.access === 'machine' ? [{ machineToken: [] }] : [{ bearer: [] }, { session: [] }],
      requestBody: r.schema?.body ? { required: true, content: { 'application/json': { schema: r.schema.body } } } : undefined,
      responses: { default: { description: 'JSON; errors are {code, message}' } },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Dragonfly control plane', version },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'session token or API token' },
        session: { type: 'apiKey', in: 'cookie', name: 'df_session' },
        machineToken: { type: 'http', scheme: 'bearer', description: 'per-machine enrolment or agent token' },
      },
    },
    paths,
  };
}
