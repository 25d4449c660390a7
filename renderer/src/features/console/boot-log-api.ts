import { api, apiToken, errorFromBody } from '../../shared/api-client.ts';

export interface BootLogInfo {
  boot: string;
  bytes: number;
  modified: string;
}

const base = (machine: string) => `/api/v1/machines/${encodeURIComponent(machine)}/console-logs`;

export async function listBootLogs(machine: string): Promise<BootLogInfo[]> {
  return (await api<{ items: BootLogInfo[] }>('GET', base(machine))).items;
}

/** One recorded boot console, as plain text: terminal escape sequences removed for reading. */
export async function bootLogText(machine: string, boot: string): Promise<string> {
  const token = apiToken();
  const res = await fetch(`${base(machine)}/${encodeURIComponent(boot)}`, { credentials: 'same-origin', headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  if (!res.ok) throw errorFromBody(res.status, safeJson(text), text);
  return readableConsole(text);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Drops ANSI/VT100 escape sequences and carriage returns so the log reads as lines. */
export function readableConsole(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\x1b[()][0-9A-Za-z]/g, '').replace(/\r\n?/g, '\n');
}
