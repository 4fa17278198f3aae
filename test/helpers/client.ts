/**
 * A tiny HTTP client for black-box tests: JSON in, JSON out, CSRF header on by default.
 */
export interface HttpResult<T = any> {
  status: number;
  body: T;
  contentType: string;
  headers: Headers;
}

export function createClient(baseUrl: string) {
  async function request<T = any>(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; raw?: string; contentType?: string; csrf?: boolean; headers?: Record<string, string> } = {},
  ): Promise<HttpResult<T>> {
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
    const res = await fetch(baseUrl + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* leave as text */
    }
    return { status: res.status, body: parsed as T, contentType: res.headers.get("content-type") ?? "", headers: res.headers };
  }
  return {
    request,
    get: <T = any>(path: string, token?: string) => request<T>("GET", path, { token }),
    post: <T = any>(path: string, token: string | undefined, body?: unknown) => request<T>("POST", path, { token, body }),
    put: <T = any>(path: string, token: string | undefined, body?: unknown) => request<T>("PUT", path, { token, body }),
  };
}
export type TestClient = ReturnType<typeof createClient>;
