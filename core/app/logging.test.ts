import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logging.ts';

describe('structured logs', () => {
  it('never print passwords, tokens, secrets or authorization headers, however nested', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (c, _e, cb) => (lines.push(c.toString()), cb()) });
    const log = createLogger('info', sink as never);
    log.info({ password: 'p1', token: 'dfk_x', req: { headers: { authorization: 'Bearer dfs_y', cookie: 'df_session=z' } }, bmc: { password: 'p2', credentials: 'c' }, machine: 'amber' }, 'event');
    const text = lines.join('');
    for (const secret of ['p1', 'dfk_x', 'dfs_y', 'df_session=z', 'p2']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
    expect(JSON.parse(text).machine).toBe('amber');
  });
});
