/**
 * Swarm DHCP failover time: three instances on one etcd, in network namespaces (root needed).
 * Measures "leader SIGKILLed" -> "first OFFER from another instance" over 20 trials, and, side
 * by side as the reference, a graceful handover (SIGTERM: the leader resigns and revokes its
 * lease) over 5 trials. The crash figure is bounded by the lease TTL (3 s) + etcd's expiry
 * check (500 ms) + one follower poll (250 ms) + the DHCP server start.
 *
 *   node --import tsx bench/dhcp-failover.bench.ts [CRASH_TRIALS=20] [GRACEFUL_TRIALS=5]
 */
import { runFailover } from '../e2e/swarm/failover.ts';

const crashTrials = Number(process.argv[2] ?? 20);
const gracefulTrials = Number(process.argv[3] ?? 5);
const TTL_SECONDS = 3;

function summary(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, median: s[Math.floor((s.length - 1) / 2)]!, min: s[0]!, max: s[s.length - 1]! };
}

const crash = summary((await runFailover({ trials: crashTrials, ttlSeconds: TTL_SECONDS, signal: 'SIGKILL' })).trials.map((t) => t.failoverMs));
const graceful = summary((await runFailover({ trials: gracefulTrials, ttlSeconds: TTL_SECONDS, signal: 'SIGTERM' })).trials.map((t) => t.failoverMs));
console.log(`leader lease TTL ${TTL_SECONDS} s, bound ${TTL_SECONDS * 1000 + 500 + 250} ms + DHCP start`);
console.log(`crash (SIGKILL) failover, ms:  median ${crash.median}  min ${crash.min}  max ${crash.max}  (n=${crash.n})`);
console.log(`graceful (SIGTERM) handover, ms: median ${graceful.median}  min ${graceful.min}  max ${graceful.max}  (n=${graceful.n})`);
console.log(`ratio crash/graceful (median): ${(crash.median / graceful.median).toFixed(1)}x; crash max / TTL: ${(crash.max / (TTL_SECONDS * 1000)).toFixed(2)}`);
