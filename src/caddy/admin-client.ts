import http from 'node:http';

export interface AdminResponse<T = unknown> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
}

export class CaddyAdminError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'CaddyAdminError';
  }
}

/**
 * Talks to Caddy's admin API over its unix socket (never TCP). Every call has a timeout; the body is
 * parsed as JSON when it is JSON.
 */
export class CaddyAdminClient {
  constructor(
    private readonly socketPath: string,
    private readonly timeoutMs = 10_000,
  ) {}

  request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<AdminResponse<T>> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          method,
          path,
          // Caddy checks Host/Origin on the admin API; over a unix socket any fixed host will do.
          headers: {
            host: 'caddy-admin',
            ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
            ...headers,
          },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            if ((res.headers['content-type'] ?? '').includes('json') && text) {
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = text;
              }
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed as T });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new CaddyAdminError(`caddy admin ${method} ${path} timed out after ${this.timeoutMs} ms`)),
      );
      req.on('error', (err) =>
        reject(
          err instanceof CaddyAdminError ? err : new CaddyAdminError(`caddy admin ${method} ${path}: ${err.message}`),
        ),
      );
      req.end(payload);
    });
  }

  /** GET /config/ with its ETag: the ETag changes whenever Caddy's config is loaded again. */
  async config(): Promise<{ etag: string | undefined; config: unknown }> {
    const res = await this.request('GET', '/config/');
    if (res.status !== 200) throw new CaddyAdminError(`GET /config/ answered ${res.status}`, res.status, res.body);
    const etag = res.headers.etag;
    return { etag: Array.isArray(etag) ? etag[0] : etag, config: res.body };
  }
}
