/**
 * The lab's start/restart waits (e2e/lab/lib/ready.sh, issue 20): a restarted server is taken
 * as up only when the NEW process owns the listener and answers /healthz; an earlier instance
 * still holding the port, a process that dies at start, and a deadline each end in an error
 * that says so. Real processes (a small Node HTTP/UDP server) in a network namespace this test
 * creates (dfh-ready-PID, loopback only) and removes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const NS = `dfh-ready-${process.pid}`;
const canNetns = process.getuid?.() === 0 && hasBinary('ip') && hasBinary('ss') && hasBinary('curl');
let dir = '';

function hasBinary(name: string): boolean {
  return spawnSync('which', [name], { stdio: 'ignore' }).status === 0;
}

// Listens (TCP: answers every request with {"ok":true,"pid":N}; UDP: just binds) after a delay.
const SERVER = `
import http from 'node:http';
import dgram from 'node:dgram';
const [proto, port, delay] = process.argv.slice(2);
console.log('server ' + process.pid + ' starting');
setTimeout(() => {
  if (proto === 'udp') dgram.createSocket('udp4').bind(Number(port), '127.0.0.1');
  else http.createServer((_q, r) => r.end(JSON.stringify({ ok: true, pid: process.pid }))).listen(Number(port), '127.0.0.1');
  console.log('server ' + process.pid + ' listening');
}, Number(delay));
`;

/** Runs a bash snippet with lib/common.sh and lib/ready.sh sourced; $NS, $D (a scratch dir), serve PROTO PORT DELAY LOG. */
function lab(script: string): { code: number; out: string; secs: number } {
  const prelude = `set -u; source '${here}/lib/common.sh'; source '${here}/lib/ready.sh'; NS='${NS}'; D='${dir}'
serve() { ip netns exec "$NS" node "$D/server.mjs" "$1" "$2" "$3" >>"$4" 2>&1 & }
`;
  const t0 = Date.now();
  const r = spawnSync('bash', ['-c', prelude + script], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}`, secs: (Date.now() - t0) / 1000 };
}

describe.skipIf(!canNetns)('lab start/restart waits (needs root, ip, ss, curl)', { timeout: 90_000 }, () => {
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfh-ready-'));
    fs.writeFileSync(path.join(dir, 'server.mjs'), SERVER);
    execFileSync('ip', ['netns', 'add', NS]);
    execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  });
  afterAll(() => {
    // every process the snippets left in our namespace, then the namespace itself
    const pids = spawnSync('ip', ['netns', 'pids', NS], { encoding: 'utf8' }).stdout.split(/\s+/).filter(Boolean);
    for (const p of pids) spawnSync('kill', ['-KILL', p]);
    spawnSync('ip', ['netns', 'del', NS]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('after a SIGKILL, waits for the slow new instance (not the old log) and its /healthz is the new pid', () => {
    const r = lab(`
      L=$D/restart.log
      fresh_log "$L"; serve tcp 18081 0 "$L"; old=$!
      wait_http_up "server" $old "$L" "$NS" http://127.0.0.1:18081 20 || { echo "first: $READY_ERR"; exit 1; }
      kill -KILL $old; while kill -0 $old 2>/dev/null; do sleep 0.05; done
      fresh_log "$L"; serve tcp 18081 1500 "$L"; new=$!
      wait_http_up "server" $new "$L" "$NS" http://127.0.0.1:18081 20 || { echo "restart: $READY_ERR"; exit 1; }
      echo "secs=$READY_SECS new=$new answer=$(ip netns exec "$NS" curl -fsS http://127.0.0.1:18081/healthz)"
      echo "old log: $(cat "$L.1" | paste -sd' ')"; echo "new log: $(cat "$L" | paste -sd' ')"
      kill -KILL $new`);
    expect(r.code, r.out).toBe(0);
    const m = /secs=([\d.]+) new=(\d+) answer=(.*)/.exec(r.out)!;
    expect(Number(m[1])).toBeGreaterThanOrEqual(1.4); // not before the new process listened
    expect(JSON.parse(m[3]!).pid).toBe(Number(m[2]));
    const oldLog = /old log: (.*)/.exec(r.out)![1]!;
    const newLog = /new log: (.*)/.exec(r.out)![1]!;
    expect(newLog).toContain(`server ${m[2]} starting`);
    expect(oldLog).not.toContain(`server ${m[2]}`); // each start has its own log
    expect(newLog.match(/starting/g)).toHaveLength(1);
  });

  it('fails at once, naming the earlier instance, when it still holds the port', () => {
    const r = lab(`
      serve tcp 18082 0 "$D/a.log"; a=$!
      wait_http_up "server" $a "$D/a.log" "$NS" http://127.0.0.1:18082 20 || exit 1
      serve tcp 18082 5000 "$D/b.log"; b=$!
      wait_http_up "server" $b "$D/b.log" "$NS" http://127.0.0.1:18082 20 && echo "TAKEN AS UP"
      echo "a=$a err=$READY_ERR"; kill -KILL $a $b`);
    const a = /a=(\d+)/.exec(r.out)![1];
    expect(r.out).not.toContain('TAKEN AS UP');
    expect(r.out).toContain(`TCP port 18082 in ${NS} is held by pid ${a}, not by the new server`);
    expect(r.secs).toBeLessThan(15);
  });

  it('reports a process that exits at start with the tail of its own log', () => {
    const r = lab(`
      fresh_log "$D/x.log"
      ip netns exec "$NS" sh -c 'echo "bind failed: marker-3f9"; exit 3' >>"$D/x.log" 2>&1 & p=$!
      wait_http_up "server" $p "$D/x.log" "$NS" http://127.0.0.1:18083 20 && echo "TAKEN AS UP"
      echo "err=$READY_ERR"`);
    expect(r.out).not.toContain('TAKEN AS UP');
    expect(r.out).toMatch(/err=server \(pid \d+\) exited before it answered http:\/\/127\.0\.0\.1:18083\/healthz; its log: bind failed: marker-3f9/);
  });

  it('gives up at its deadline, saying what did not come up', () => {
    const r = lab(`
      ip netns exec "$NS" sleep 30 & p=$!
      wait_http_up "control plane (full)" $p /dev/null "$NS" http://127.0.0.1:18084 2 && echo "TAKEN AS UP"
      echo "err=$READY_ERR"; kill $p`);
    expect(r.out).toContain('err=control plane (full) (pid');
    expect(r.out).toContain('did not answer http://127.0.0.1:18084/healthz within 2s (listener: none)');
    expect(r.secs).toBeLessThan(15);
  });

  it('waits for a UDP server to bind its port, and not for another process that has it', () => {
    const r = lab(`
      serve udp 18085 1000 "$D/u.log"; u=$!
      wait_udp_bound "udp server" $u "$D/u.log" "$NS" 18085 20 || { echo "err=$READY_ERR"; exit 1; }
      echo "secs=$READY_SECS"
      ip netns exec "$NS" sleep 30 & s=$!
      wait_udp_bound "other" $s /dev/null "$NS" 18085 2 && echo "TAKEN AS UP"
      echo "err=$READY_ERR"; kill -KILL $u $s`);
    expect(Number(/secs=([\d.]+)/.exec(r.out)?.[1])).toBeGreaterThanOrEqual(0.9);
    expect(r.out).not.toContain('TAKEN AS UP');
    expect(r.out).toMatch(/err=other \(pid \d+\) did not bind UDP 18085 in dfh-ready-\d+ within 2s \(bound by: \d+\)/);
  });
});
