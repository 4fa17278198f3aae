/**
 * A tiny HTTP client for black-box tests: JSON in, JSON out, CSRF header on by default.
 */
export interface HttpResult<T = any> {
  status: number;
  body: T;
  contentType: string;
  headers: Headers;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  raw?: string;
  contentType?: string;
  csrf?: boolean;
  headers?: Record<string, string>;
}

/** A fetch() init for a test request: bearer token, CSRF header (unless csrf:false), JSON or raw body. */
export function requestInit(method: string, opts: RequestOptions = {}): RequestInit {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.csrf !== false) headers["x-requested-with"] = "XMLHttpRequest";
  let body: string | undefined;
  if (opts.raw !== undefined) {
    body = opts.raw;
    headers["content-type"] = opts.contentType ?? "application/json";
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] = opts.contentType ?? "application/json";
  }
  return { method, headers, body };
}

/** Reads a response as JSON when it is JSON, else as text. */
export async function readResult<T = any>(res: Response): Promise<HttpResult<T>> {
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* leave as text */
  }
  return { status: res.status, body: parsed as T, contentType: res.headers.get("content-type") ?? "", headers: res.headers };
}

export function createClient(baseUrl: string) {
  async function request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResult<T>> {
    return readResult<T>(await fetch(baseUrl + path, requestInit(method, opts)));
  }
  return {
    request,
    get: <T = any>(path: string, token?: string) => request<T>("GET", path, { token }),
    post: <T = any>(path: string, token: string | undefined, body?: unknown) => request<T>("POST", path, { token, body }),
    put: <T = any>(path: string, token: string | undefined, body?: unknown) => request<T>("PUT", path, { token, body }),
  };
}
export type TestClient = ReturnType<typeof createClient>;
