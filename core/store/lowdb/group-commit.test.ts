import { describe, expect, it } from 'vitest';
import { GroupCommitter } from './group-commit.ts';

/** A fake "write the whole state" whose every call can be finished by the test. */
function controlledWriter() {
  const calls: { snapshot: number; finish: (err?: Error) => void }[] = [];
  let state = 0;
  const writeAll = () =>
    new Promise<void>((resolve, reject) => {
      calls.push({ snapshot: state, finish: (err) => (err ? reject(err) : resolve()) });
    });
  return { calls, writeAll, bump: () => ++state };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('GroupCommitter', () => {
  it('batches every commit that arrives during a write into one next write', async () => {
    const w = controlledWriter();
    const gc = new GroupCommitter(w.writeAll);
    const first = gc.commit();
    const rest = Array.from({ length: 50 }, () => gc.commit());
    expect(w.calls).toHaveLength(1);
    w.calls[0].finish();
    await first;
    await tick();
    expect(w.calls).toHaveLength(2);
    w.calls[1].finish();
    await Promise.all(rest);
    expect(w.calls).toHaveLength(2);
  });

  it('acknowledges a commit only after a write that started after it has finished', async () => {
    const w = controlledWriter();
    const gc = new GroupCommitter(w.writeAll);
    w.bump();
    void gc.commit();
    w.bump(); // this change is not in the write already in flight
    let acked = false;
    const second = gc.commit().then(() => (acked = true));
    w.calls[0].finish();
    await tick();
    expect(acked).toBe(false);
    expect(w.calls[1].snapshot).toBe(2);
    w.calls[1].finish();
    await second;
    expect(acked).toBe(true);
  });

  it('rejects the writes of a failed batch and retries with the next commit', async () => {
    const w = controlledWriter();
    const gc = new GroupCommitter(w.writeAll);
    const failed = gc.commit();
    w.calls[0].finish(new Error('disk full'));
    await expect(failed).rejects.toThrow('disk full');
    const next = gc.commit();
    await tick();
    w.calls[1].finish();
    await expect(next).resolves.toBeUndefined();
  });

  it('flush waits for everything requested so far', async () => {
    const w = controlledWriter();
    const gc = new GroupCommitter(w.writeAll);
    void gc.commit();
    void gc.commit();
    let flushed = false;
    const f = gc.flush().then(() => (flushed = true));
    w.calls[0].finish();
    await tick();
    expect(flushed).toBe(false);
    w.calls[1].finish();
    await f;
    expect(flushed).toBe(true);
  });
});
