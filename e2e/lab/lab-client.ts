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
