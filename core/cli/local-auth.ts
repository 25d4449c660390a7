import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AuthService } from '../auth/auth-service.ts';
import { LOCAL_FILE } from '../power/secrets/swarm-key.ts';
import { DragonflyError } from '../shared/errors.ts';

/**
 * The identity in a data directory, for `--data-dir` commands on the server host. A swarm
 * member's identity is in etcd, not in its auth.json: changing the file would change nothing
 * the swarm sees, so that is refused with the way that works.
 */
export async function openLocalAuth(dataDir: string): Promise<AuthService> {
  if (existsSync(join(dataDir, LOCAL_FILE))) {
    throw new DragonflyError('DF_ERR_INVALID', `${dataDir} belongs to a swarm (backend etcd): its operators and tokens live in etcd; use the API instead (--url URL --token TOKEN)`);
  }
  return (await AuthService.open(dataDir)).auth;
}
