/** Small fetch wrapper for the simulator tests. */
import type { SimulatorHandle } from '../../simulator';

export interface Msg {
  code: number;
  message: string;
  documentation_url?: string;
  error_chain?: Msg[];
}

export interface Env<T = unknown> {
  success: boolean;
  errors: Msg[];
  messages: Msg[];
  result: T;
  result_info?: { page?: number; per_page?: number; count: number; total_count?: number; total_pages?: number; total?: number };
}

export interface Resp<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  body: Env<T>;
}

export interface CallOptions {
  /** Bearer token. */
  token?: string;
  /** Global API key auth. */
  key?: { email: string; key: string };
  /** JSON body (serialised). */
  body?: unknown;
  /** Raw body text (wins over body). */
  raw?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Calls `${sim.url}${path}`; parses the JSON body (body is `{}` when it is not JSON). */
export async function call<T = unknown>(sim: SimulatorHandle, method: string, path: string, o: CallOptions = {}): Promise<Resp<T>> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  if (o.key !== undefined) {
    headers['x-auth-email'] = o.key.email;
    headers['x-auth-key'] = o.key.key;
  }
  let payload: string | undefined = o.raw;
  if (payload === undefined && o.body !== undefined) payload = JSON.stringify(o.body);
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const init: RequestInit = { method, headers };
  if (payload !== undefined) init.body = payload;
  if (o.signal !== undefined) init.signal = o.signal;
  const res = await fetch(`${sim.url}${path}`, init);
  const text = await res.text();
  let body: Env<T>;
  try {
    body = JSON.parse(text) as Env<T>;
  } catch {
    body = {} as Env<T>;
  }
  return { status: res.status, headers: res.headers, text, body };
}

/** First error code of an envelope. */
export const code = (r: Resp): number | undefined => r.body.errors?.[0]?.code;

/** GET a control endpoint. */
export async function ctl<T>(sim: SimulatorHandle, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(`${sim.origin}${path}`, init);
  return { status: res.status, body: (await res.json()) as T };
}
