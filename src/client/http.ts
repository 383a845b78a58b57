import { ClientError, errorFromResponse, networkError } from './errors.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface Reply<T> {
  headers: Headers;
  body: T;
}

/** The API's transport: the key on every request, failures turned into ClientErrors. */
export class Http {
  readonly apiRoot: string;

  constructor(
    baseUrl: string,
    private readonly apiKey: string,
    private readonly fetchImpl: typeof fetch,
  ) {
    // RSPACE_URL is the server root, but a root pasted with /api/v1 on it is meant the same way.
    this.apiRoot = `${baseUrl.replace(/\/+$/, '').replace(/\/api\/v1$/, '')}/api/v1`;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { apiKey: this.apiKey, ...extra };
  }

  url(path: string, query: Query = {}): string {
    const url = new URL(`${this.apiRoot}${path}`);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  /** fetch, with a refused or broken connection as a 'network' ClientError and an abort as the signal's reason. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await this.fetchImpl(url, init);
    } catch (error) {
      init.signal?.throwIfAborted();
      throw networkError(error, `Cannot reach ${new URL(url).origin}`);
    }
  }

  /**
   * A JSON call: the parsed body of a 2xx answer, else the server's error as a ClientError. A
   * `form` is sent as multipart/form-data, with the boundary fetch chooses for it.
   */
  async json<T>(method: string, path: string, options: { query?: Query; body?: unknown; form?: FormData; signal?: AbortSignal } = {}): Promise<Reply<T>> {
    const url = this.url(path, options.query);
    const headers = this.headers({ accept: 'application/json', ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) });
    const body = options.form ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const response = await this.fetch(url, { method, headers, body, signal: options.signal });
    if (!response.ok) throw await errorFromResponse(response);
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      options.signal?.throwIfAborted();
      throw networkError(error, `The answer from ${url} broke off`);
    }
    try {
      return { headers: response.headers, body: (text ? JSON.parse(text) : null) as T };
    } catch {
      throw new ClientError('server', `${method} ${url} did not answer with JSON: is ${this.apiRoot} an RSpace API?`, {
        status: response.status,
        body: text.slice(0, 1000),
      });
    }
  }
}
