/**
 * Memory cgroups for bench/fanout.bench.ts --memory-max: each agent in a cgroup of its own whose
 * memory limit is below the image's size, to show that an agent images a disk larger than its RAM
 * (page cache of the written disk counts against the limit and must be reclaimed). cgroup v2
 * (memory.max, memory.peak) where the memory controller is there; else v1 (memory.limit_in_bytes,
 * memory.max_usage_in_bytes), as on this machine. The groups are children of the bench's own
 * group, so the bench's accounting still holds them; removed on exit.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MemoryGroup {
  path: string;
  /** Peak memory charged to the group (process memory and page cache), bytes. */
  peak(): number;
  remove(): void;
}

function base(): { root: string; v2: boolean } {
  const self = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  if (existsSync('/sys/fs/cgroup/cgroup.controllers') && readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').includes('memory')) {
    const rel = self.find((l) => l.startsWith('0::'))!.slice(3);
    return { root: join('/sys/fs/cgroup', rel), v2: true };
  }
  const line = self.find((l) => /^\d+:memory:/.test(l));
  if (!line) throw new Error('--memory-max needs a memory cgroup controller (v2 memory.max or v1 memory), and neither is mounted');
  return { root: join('/sys/fs/cgroup/memory', line.split(':')[2]), v2: false };
}

/** A memory group limited to `maxBytes` under the bench's own group. */
export function memoryGroup(name: string, maxBytes: number): MemoryGroup {
  const { root, v2 } = base();
  const path = join(root, name);
  if (v2) {
    // a v2 group's controllers must be enabled in its parent; harmless when they already are
    writeFileSync(join(root, 'cgroup.subtree_control'), '+memory');
  }
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, v2 ? 'memory.max' : 'memory.limit_in_bytes'), String(maxBytes));
  if (v2) writeFileSync(join(path, 'memory.swap.max'), '0');
  return {
    path,
    peak: () => Number(readFileSync(join(path, v2 ? 'memory.peak' : 'memory.max_usage_in_bytes'), 'utf8').trim()),
    remove: () => {
      try {
        rmdirSync(path);
      } catch {
        /* still has a process (killed hard); the next run's teardown removes it */
      }
    },
  };
}

/** The shell prefix that moves the spawned process into `g` before it execs the command. */
export const inGroup = (g: MemoryGroup, cmd: string[]): string[] => ['sh', '-c', `echo $$ > ${g.path}/cgroup.procs && exec "$@"`, 'sh', ...cmd];
