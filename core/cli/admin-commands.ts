import type { Command } from 'commander';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { AUTH_FILE } from '../auth/auth-service.ts';
import { openLocalAuth } from './local-auth.ts';
import { invalid } from '../shared/errors.ts';
import type { ApiClient } from './client.ts';

/** `dragonfly admin ...`: the operator account of one control plane. */
export function addAdminCommands(program: Command, io: { out: (s: string) => void; stdin: () => Promise<string> }, client: (cmd: Command) => ApiClient): void {
  const admin = program.command('admin').description('the admin account');
  admin
    .command('password')
    .description('change the admin password; reads the current and the new password from stdin, one per line. Deletes initial-admin-password.')
    .option('--data-dir <dir>', 'on the server host: change it directly in this data directory, no API token needed')
    .action(async (opts: { dataDir?: string }, cmd: Command) => {
      const { current, next } = passwordsFrom(await io.stdin());
      if (opts.dataDir) {
        await access(join(opts.dataDir, AUTH_FILE)).catch(() => {
          throw invalid(`${opts.dataDir} holds no Dragonfly credentials (${AUTH_FILE}); is it the data directory?`);
        });
        await (await openLocalAuth(opts.dataDir)).changePassword(current, next);
      } else {
        await client(cmd).request('POST', '/api/v1/auth/password', { currentPassword: current, newPassword: next });
      }
      io.out('admin password changed; initial-admin-password deleted');
    });
}

/** Passwords on stdin, not in arguments: arguments are visible to every user in `ps`. */
function passwordsFrom(text: string): { current: string; next: string } {
  const [current, next] = text.split(/\r?\n/);
  if (!current || !next) throw invalid('give the current and the new password on stdin, one per line');
  return { current, next };
}
