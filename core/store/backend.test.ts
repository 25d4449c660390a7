import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isDragonflyError } from '../shared/errors.ts';
import { openStore, parseBackendName } from './backend.ts';
import { freePort } from './etcd/etcd-process.ts';
import { hardware } from './contract/fixtures.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const failure = (p: Promise<unknown>) => p.then(() => new Error('expected a failure'), (e: Error) => e);

describe('openStore', () => {
  it('defaults to lowdb in the data directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'df-backend-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const s = await openStore({ dataDir: dir });
    cleanup.push(() => s.close());
    expect(s.backend).toBe('lowdb');
    await s.create(hardware('via-factory'));
    expect(await readdir(dir)).toContain('dragonfly.json');
  });

  it('opens the memory backend by name', async () => {
    const s = await openStore({ backend: 'memory' });
    expect(s.backend).toBe('memory');
    await s.close();
  });

  it('lowdb without a data directory is a configuration error', async () => {
    const err = await failure(openStore({ backend: 'lowdb' }));
    expect(isDragonflyError(err, 'DF_ERR_INVALID')).toBe(true);
    expect(err.message).toContain('dataDir');
  });

  it('an unknown backend name lists the choices', async () => {
    expect(() => parseBackendName('mongo')).toThrow('unknown store backend "mongo"; choose one of memory, lowdb, etcd, kubernetes');
    const err = await failure(openStore({ backend: 'sqlite' as never }));
    expect(isDragonflyError(err, 'DF_ERR_INVALID')).toBe(true);
  });

  it('etcd that is down fails with an error naming the endpoint', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const err = await failure(openStore({ backend: 'etcd', etcdEndpoints: [endpoint] }));
    expect(isDragonflyError(err, 'DF_ERR_UNAVAILABLE')).toBe(true);
    expect(err.message).toContain(endpoint);
  });
});
