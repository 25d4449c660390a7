import { spawnSync } from 'node:child_process';
import { appendFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isDragonflyError } from '../../shared/errors.ts';
import { discardLogger, type Logger } from '../../shared/logger.ts';
import { hardware } from '../contract/fixtures.ts';
import type { Store } from '../store.ts';
import { LOCK_FILE } from './data-dir-lock.ts';
import { DurableStateAdapter } from './durable-adapter.ts';
import { JOURNAL_PREFIX } from './journal.ts';
import { DATA_FILE, createLowdbStore } from './lowdb-store.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'df-lowdb-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function open(dataDir: string, logger?: Logger): Promise<Store> {
  const s = await createLowdbStore({ dataDir, logger });
  cleanup.push(() => s.close());
  return s;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: Error) => e,
  );
}

function recordingLogger(lines: string[]): Logger {
  const log = (o: object | string, msg?: string) => lines.push(typeof o === 'string' ? o : (msg ?? ''));
  return { ...discardLogger, info: log, warn: log, error: log, child: () => recordingLogger(lines) };
}

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

describe('lowdb store: durability', () => {
  it('an acknowledged write is already on disk (journal), and in dragonfly.json alone after close', async () => {
    const dir = await tempDir();
    const s = await createLowdbStore({ dataDir: dir });
    const created = await s.create(hardware('on-disk', { rack: 'r7' }));
    const updated = await s.update({ ...created, status: { state: 'Ready' } });
    // What a process starting after a crash right now would read:
    const onDisk = (await new DurableStateAdapter(join(dir, DATA_FILE)).read())!;
    expect(onDisk.objects.Hardware!['on-disk']).toEqual(updated);
    expect(onDisk.revision).toBe(Number(updated.metadata.resourceVersion));
    await s.close();
    const file = JSON.parse(readFileSync(join(dir, DATA_FILE), 'utf8'));
    expect(file.objects.Hardware['on-disk']).toEqual(updated);
    expect((await readdir(dir)).filter((n) => n.startsWith(JOURNAL_PREFIX))).toHaveLength(0);
  });

  it('many concurrent writers all land on disk', async () => {
    const dir = await tempDir();
    const s = await open(dir);
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.create(hardware(`m-${i}`, {}, i))));
    await s.delete('Hardware', 'm-7');
    const onDisk = (await new DurableStateAdapter(join(dir, DATA_FILE)).read())!;
    expect(Object.keys(onDisk.objects.Hardware!)).toHaveLength(199);
    expect(onDisk.objects.Hardware!['m-7']).toBeUndefined();
  });

  it('rewrites the full file in the background as the journal grows, losing nothing', async () => {
    const dir = await tempDir();
    const s = await createLowdbStore({ dataDir: dir, snapshotAfterBytes: 2_000 });
    let obj = await s.create(hardware('busy'));
    for (let i = 0; i < 60; i++) obj = await s.update({ ...obj, status: { state: 'Ready', message: `update ${i} ${'x'.repeat(100)}` } });
    const journals = (await readdir(dir)).filter((n) => n.startsWith(JOURNAL_PREFIX));
    expect(journals.length).toBeLessThanOrEqual(2); // old ones are deleted once a snapshot covers them
    expect(JSON.parse(readFileSync(join(dir, DATA_FILE), 'utf8')).revision).toBeGreaterThan(1); // the file was rewritten
    await s.close();
    expect((await (await open(dir)).get('Hardware', 'busy')).status).toEqual(obj.status);
  });

  it('a torn last journal line (never acknowledged) is dropped with a log line', async () => {
    const dir = await tempDir();
    const s = await createLowdbStore({ dataDir: dir });
    await s.create(hardware('kept'));
    const [journal] = (await readdir(dir)).filter((n) => n.startsWith(JOURNAL_PREFIX));
    await appendFile(join(dir, journal), '{"rev":99,"put":{"Hardware":{"half');
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), hostname: hostname(), since: 'x' })); // as after a kill
    const lines: string[] = [];
    const again = await open(dir, recordingLogger(lines));
    expect((await again.list('Hardware')).items.map((o) => o.metadata.name)).toEqual(['kept']);
    expect(await again.revision()).toBe(1);
    expect(lines.join('\n')).toContain(`dropped a torn last line of ${join(dir, journal)}`);
  });

  it('a damaged line in the middle of a journal stops the start, naming the file and line', async () => {
    const dir = await tempDir();
    const s = await createLowdbStore({ dataDir: dir });
    await s.create(hardware('a'));
    const [journal] = (await readdir(dir)).filter((n) => n.startsWith(JOURNAL_PREFIX));
    const path = join(dir, journal);
    await writeFile(path, `garbage\n${await readFile(path, 'utf8')}`);
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), hostname: hostname(), since: 'x' }));
    const err = await failure(createLowdbStore({ dataDir: dir }));
    expect(isDragonflyError(err, 'DF_ERR_DECODE')).toBe(true);
    expect(err.message).toContain(`the journal ${path} is damaged at line 1`);
  });

  it('a damaged data file stops the start with an error naming the file, and is left untouched', async () => {
    const dir = await tempDir();
    const path = join(dir, DATA_FILE);
    await writeFile(path, '{"revision": 3, "objects": {"Hardware": {"x": ');
    const err = await failure(createLowdbStore({ dataDir: dir }));
    expect(isDragonflyError(err, 'DF_ERR_DECODE')).toBe(true);
    expect(err.message).toContain(path);
    expect(err.message).toContain('refusing to start with an empty store');
    expect(await readFile(path, 'utf8')).toBe('{"revision": 3, "objects": {"Hardware": {"x": ');
    // The failed start released its lock: fixing the file is enough to start.
    await writeFile(path, '{"revision": 3, "objects": {}}');
    expect(await (await open(dir)).revision()).toBe(3);
  });

  it('a file that is JSON but not a store is refused too', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, DATA_FILE), '[1,2,3]');
    expect((await failure(createLowdbStore({ dataDir: dir }))).message).toMatch(/damaged \(the top level is not an object\)/);
  });

  it('temp files left by an interrupted write are removed at start, the data file kept', async () => {
    const dir = await tempDir();
    await (await createLowdbStore({ dataDir: dir })).close();
    await writeFile(join(dir, `.${DATA_FILE}.12345.abcdef.tmp`), '{"half');
    const lines: string[] = [];
    await open(dir, recordingLogger(lines));
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(await readdir(dir)).toContain(DATA_FILE);
    expect(lines.join('\n')).toMatch(/removed 1 temp file/);
  });

  it('two adapters writing the same file at once never share a temp file', async () => {
    const dir = await tempDir();
    const a = new DurableStateAdapter(join(dir, DATA_FILE));
    const b = new DurableStateAdapter(join(dir, DATA_FILE));
    const state = (n: number) => ({ revision: n, objects: {} });
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).checkpoint(state(i))));
    expect((await a.read())!.objects).toEqual({});
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await a.close();
    await b.close();
  });
});

describe('lowdb store: single writer lock', () => {
  it('a second store on the same directory is refused, naming the holder and the lock file', async () => {
    const dir = await tempDir();
    await open(dir);
    const err = await failure(createLowdbStore({ dataDir: dir }));
    expect(isDragonflyError(err, 'DF_ERR_LOCKED')).toBe(true);
    expect(err.message).toContain(`process ${process.pid} on ${hostname()} since 20`);
    expect(err.message).toContain(join(dir, LOCK_FILE));
  });

  it('close releases the lock so the directory can be opened again', async () => {
    const dir = await tempDir();
    const s = await createLowdbStore({ dataDir: dir });
    await s.create(hardware('kept'));
    await s.close();
    expect(await readdir(dir)).not.toContain(LOCK_FILE);
    expect((await (await open(dir)).get('Hardware', 'kept')).metadata.name).toBe('kept');
  });

  it('a lock left by a dead process on this host is taken over, with a log line saying so', async () => {
    const dir = await tempDir();
    const pid = deadPid();
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid, hostname: hostname(), since: '2026-01-01T00:00:00.000Z' }));
    const lines: string[] = [];
    await open(dir, recordingLogger(lines));
    expect(lines.join('\n')).toContain(`took over stale lock ${join(dir, LOCK_FILE)}: process ${pid} that held it is gone`);
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
  });

  it('a lock held from another host is never taken over (its pid cannot be checked from here)', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), hostname: 'rack-laptop-2', since: '2026-01-01T00:00:00.000Z' }));
    const err = await failure(createLowdbStore({ dataDir: dir }));
    expect(isDragonflyError(err, 'DF_ERR_LOCKED')).toBe(true);
    expect(err.message).toContain('on rack-laptop-2 since 2026-01-01T00:00:00.000Z');
  });

  it('a closed store refuses further writes', async () => {
    const dir = await tempDir();
    const s = await createLowdbStore({ dataDir: dir });
    await s.close();
    expect(isDragonflyError(await failure(s.create(hardware('late'))), 'DF_ERR_UNAVAILABLE')).toBe(true);
  });
});
