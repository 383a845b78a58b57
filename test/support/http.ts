/** The JSON calls tests make to a server, whether in this process (lab.ts) or another (process.ts). */

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A JSON call; `body` objects are sent as JSON, strings as they are; `key: null` sends no key. */
export type Call = <T = any>(
  method: string,
  path: string,
  options?: { key?: string | null; body?: unknown; headers?: Record<string, string> },
) => Promise<Answer<T>>;

export function jsonCaller(serverUrl: string, defaultKey: string): Call {
  return async (method, p, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? defaultKey : options.key;
    if (key !== null) headers.apiKey = key;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${serverUrl}/api/v1${p}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: the text is the body
    }
    return { status: response.status, headers: response.headers, body: parsed as any, text };
  };
}
