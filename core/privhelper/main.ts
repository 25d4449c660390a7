/**
 * dragonfly-privhelper: the only part of Dragonfly that needs privileges on Linux.
 *
 *   dragonfly-privhelper --stdio [--interface IF]...
 *       one app on stdin/stdout (started by the app through pkexec); exits when the app goes away
 *   dragonfly-privhelper --listen PATH --owner UID[:GID] [--interface IF]...
 *       started by root/systemd: a Unix socket only UID may open (mode 0600); each connection
 *       gets its own sockets, closed when it hangs up
 *
 * It binds UDP 67, 69 and 4011, and UDP 68 only for the existing-DHCP probe, and nothing
 * else; see helper.ts and protocol.ts.
 */
import { chmodSync, chownSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { validInterfaceName } from './protocol.ts';
import { serveConnection } from './helper.ts';

export interface HelperArgs {
  mode: 'stdio' | 'listen';
  path?: string;
  owner?: { uid: number; gid?: number };
  interfaces: string[];
}

const USAGE = 'usage: dragonfly-privhelper (--stdio | --listen PATH --owner UID[:GID]) [--interface NAME]...';

/** Parses the command line; throws an Error whose message says what is wrong and shows the usage. */
export function parseHelperArgs(argv: readonly string[]): HelperArgs {
  const a: HelperArgs = { mode: 'stdio', interfaces: [] };
  let modes = 0;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === '--stdio') {
      a.mode = 'stdio';
      modes++;
    } else if (flag === '--listen') {
      a.mode = 'listen';
      a.path = value();
      modes++;
    } else if (flag === '--owner') a.owner = parseOwner(value());
    else if (flag === '--interface') {
      const name = value();
      if (!validInterfaceName(name)) throw new Error(`--interface "${name}" is not a valid interface name`);
      a.interfaces.push(name);
    } else throw new Error(`unknown argument "${flag}"\n${USAGE}`);
  }
  if (modes !== 1) throw new Error(`give exactly one of --stdio or --listen\n${USAGE}`);
  if (a.mode === 'listen' && !a.owner) throw new Error(`--listen needs --owner: the user whose Dragonfly may use the socket\n${USAGE}`);
  return a;
}

function parseOwner(s: string): { uid: number; gid?: number } {
  const m = /^(\d+)(?::(\d+))?$/.exec(s);
  if (!m) throw new Error(`--owner "${s}" must be a numeric UID or UID:GID`);
  return { uid: Number(m[1]), gid: m[2] === undefined ? undefined : Number(m[2]) };
}

const log = (line: string) => process.stderr.write(`dragonfly-privhelper: ${line}\n`);

export async function runHelper(argv: readonly string[]): Promise<number> {
  let args: HelperArgs;
  try {
    args = parseHelperArgs(argv);
  } catch (e) {
    log((e as Error).message);
    return 2;
  }
  const opts = { interfaces: args.interfaces, log };
  if (args.mode === 'stdio') {
    await serveConnection(process.stdin, process.stdout, opts);
    return 0;
  }
  return listen(args.path!, args.owner!, opts);
}

function listen(path: string, owner: { uid: number; gid?: number }, opts: Parameters<typeof serveConnection>[2]): Promise<number> {
  rmSync(path, { force: true }); // a stale socket from a previous run
  process.umask(0o177); // the socket is created 0600: no moment where others could connect
  const conns = new Set<import('node:net').Socket>();
  const server = createServer((conn) => {
    conns.add(conn);
    conn.on('close', () => conns.delete(conn));
    log('app connected');
    void serveConnection(conn, conn, opts).then(() => conn.destroy());
  });
  return new Promise((resolve) => {
    server.on('error', (e) => {
      log(`cannot listen on ${path}: ${e.message}`);
      resolve(1);
    });
    server.listen(path, () => {
      // Only the owner may connect: the socket is the whole access control.
      try {
        chmodSync(path, 0o600);
        chownSync(path, owner.uid, owner.gid ?? -1);
      } catch (e) {
        log(`cannot hand ${path} to uid ${owner.uid}: ${(e as Error).message} (the helper must run as root)`);
        server.close(() => resolve(1));
        return;
      }
      log(`listening on ${path} for uid ${owner.uid}${opts.interfaces.length ? `, interfaces ${opts.interfaces.join(', ')}` : ''}`);
    });
    const stop = () => {
      server.close(() => resolve(0));
      for (const c of conns) c.destroy(); // each connection's sockets close as it ends
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
