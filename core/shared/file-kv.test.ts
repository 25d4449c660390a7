import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileKv } from './file-kv.ts';

let dir: string;
let clock = Date.parse('2026-12-05T07:00:00Z');
const now = () => clock;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-filekv-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('FileKv: a single instance\'s key-value state in its data directory', () => {
  it('what was put is there after reopening the file (0600); expired entries are not', async () => {
    const path = join(dir, 'kv.json');
    const kv = await FileKv.open({ path, now });
    await kv.put('a/1', 'one');
    await kv.put('a/2', 'two', { ttlSeconds: 60 });
    await kv.close();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    clock += 61_000;
    const again = await FileKv.open({ path, now });
    expect(await again.get('a/1')).toMatchObject({ value: 'one' });
    expect(await again.get('a/2')).toBeUndefined();
    expect((await again.list('a/')).map((e) => e.key)).toEqual(['a/1']);
  });

  it('a compare-and-set writes once: only if absent, or at the version read', async () => {
    const kv = FileKv.memory({ now });
    expect(await kv.put('k', 'x', { ifVersion: '' })).toBe(true);
    expect(await kv.put('k', 'y', { ifVersion: '' })).toBe(false);
    const held = (await kv.get('k'))!;
    expect(await kv.put('k', 'z', { ifVersion: held.version })).toBe(true);
    expect(await kv.put('k', 'w', { ifVersion: held.version })).toBe(false);
    expect((await kv.get('k'))!.value).toBe('z');
  });

  it('a flood of puts keeps at most maxEntries (the oldest go) and many changes share few writes', async () => {
    const path = join(dir, 'kv.json');
    const kv = await FileKv.open({ path, now, maxEntries: 100 });
    await Promise.all(Array.from({ length: 5000 }, (_, i) => kv.put(`flood/${i}`, 'x', { ttlSeconds: 300 })));
    const left = await kv.list('flood/');
    expect(left).toHaveLength(100);
    expect(left.map((e) => e.key)).toContain('flood/4999');
    expect(left.map((e) => e.key)).not.toContain('flood/0');
    expect(JSON.parse(await readFile(path, 'utf8')).entries).toHaveLength(100);
  });

  it('a file that is not ours is an error naming it, never emptied', async () => {
    const path = join(dir, 'kv.json');
    await writeFile(path, '{"hello": 1}');
    await expect(FileKv.open({ path })).rejects.toThrow(`${path} is not a Dragonfly key-value file`);
    expect(await readFile(path, 'utf8')).toBe('{"hello": 1}');
  });
});
