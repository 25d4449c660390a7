/**
 * The lab scripts' one way to call the control plane under test: LAB_API_URL with the operator
 * token in LAB_TOKEN (run.sh and run-provision.sh export both). A non-2xx answer throws with
 * its status and the start of its body, so a scenario's failure names what the server said.
 */
const API = process.env.LAB_API_URL ?? 'http://127.0.0.1:8080';
const TOKEN = process.env.LAB_TOKEN ?? '';

export async function labCall<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/** One server-sent event of /api/v1/events: its name, data and, for comments, the comment text. */
export interface LabEvent {
  event?: string;
  data?: string;
  comment?: string;
}

/**
 * The control plane's event stream (/api/v1/events, what the UI watches), replayed from
 * `fromRevision` when given, as parsed events. Ends when `signal` aborts or the server closes it.
 */
export async function* labEvents(fromRevision: number | undefined, signal: AbortSignal): AsyncGenerator<LabEvent> {
  const q = fromRevision === undefined ? '' : `?lastEventId=${fromRevision}`;
  const res = await fetch(`${API}/api/v1/events${q}`, { headers: { authorization: `Bearer ${TOKEN}` }, signal });
  if (!res.ok || !res.body) throw new Error(`GET /api/v1/events answered ${res.status}`);
  let buf = '';
  for await (const chunk of res.body.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let end: number;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const e: LabEvent = {};
      for (const line of buf.slice(0, end).split('\n')) {
        if (line.startsWith(':')) e.comment = line.slice(1).trim();
        else if (line.startsWith('event: ')) e.event = line.slice(7);
        else if (line.startsWith('data: ')) e.data = (e.data ?? '') + line.slice(6);
      }
      buf = buf.slice(end + 2);
      yield e;
    }
  }
}
