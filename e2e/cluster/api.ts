// The process kubelet's one adapter to the API server: JSON requests and watch
// streams over node:https with the kubeconfig's credentials. Raw JSON (not
// @kubernetes/client-node's typed models) so that listed and watched objects
// look alike, and every connection is ours to close on stop.
import { Agent, request, type RequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

/** A failed API call: the HTTP status and the Status object's reason and message. */
export class KubeApiError extends Error {
  readonly code = 'BROOK_KUBELET_API';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(`${method} ${path}: HTTP ${status} ${reason}: ${message}`);
  }
}

export const isNotFound = (error: unknown) => error instanceof KubeApiError && error.status === 404;
export const isConflict = (error: unknown) => error instanceof KubeApiError && error.status === 409;
export const isAlreadyExists = (error: unknown) =>
  isConflict(error) && (error as KubeApiError).reason === 'AlreadyExists';

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** A running watch; `close()` ends it without calling `onEnd`. */
export interface WatchStream {
  close(): void;
}

type Query = Record<string, string | number | boolean | undefined>;

export class KubeClient {
  readonly server: URL;
  private constructor(
    private readonly agent: Agent,
    private readonly headers: Record<string, string>,
    server: string,
  ) {
    this.server = new URL(server);
  }

  static async fromKubeconfig(file: string): Promise<KubeClient> {
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error(`kubeconfig ${file} has no current cluster`);
    const options: RequestOptions = {};
    await kc.applyToHTTPSOptions(options);
    const agent = new Agent({ ca: options.ca, cert: options.cert, key: options.key, keepAlive: true });
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.headers ?? {})) {
      if (typeof value === 'string') headers[key] = value;
    }
    return new KubeClient(agent, headers, cluster.server);
  }

  /** One JSON request; resolves with the parsed body, rejects with KubeApiError for a non-2xx answer. */
  async request<T>(
    method: string,
    path: string,
    options: { body?: unknown; contentType?: string; query?: Query } = {},
  ): Promise<T> {
    const url = this.url(path, options.query);
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.agent,
          timeout: 30_000,
          headers: {
            ...this.headers,
            accept: 'application/json',
            // An explicit length: Node sends a DELETE body unframed otherwise, and the server then
            // reads it as the start of the next request on the kept-alive connection.
            ...(payload !== undefined
              ? {
                  'content-type': options.contentType ?? 'application/json',
                  'content-length': Buffer.byteLength(payload),
                }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              resolve((text ? JSON.parse(text) : undefined) as T);
              return;
            }
            let reason = 'Unknown';
            let message = text;
            try {
              const parsed = JSON.parse(text) as { reason?: string; message?: string };
              reason = parsed.reason ?? reason;
              message = parsed.message ?? message;
            } catch {
              // not a Status object; keep the raw text
            }
            reject(new KubeApiError(method, path, status, reason, message));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Watches a collection from `resourceVersion`: one event per line of the
   * stream. `onEnd` is called once when the server or the network ends it (not
   * after `close()`).
   */
  watch<T>(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent<T>) => void,
    onEnd: (error?: Error) => void,
  ): WatchStream {
    let closed = false;
    let ended = false;
    const end = (error?: Error) => {
      if (closed || ended) return;
      ended = true;
      onEnd(error);
    };
    const req = request(
      this.url(path, { ...query, watch: true }),
      { method: 'GET', agent: this.agent, headers: { ...this.headers, accept: 'application/json' } },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          end(new KubeApiError('WATCH', path, res.statusCode ?? 0, 'WatchRefused', res.statusMessage ?? ''));
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let newline: number;
          while (!closed && (newline = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line) onEvent(JSON.parse(line) as WatchEvent<T>);
          }
        });
        res.on('end', () => end());
        res.on('error', (error) => end(error));
        res.on('close', () => end());
      },
    );
    req.on('error', (error) => end(error));
    req.end();
    return {
      close() {
        closed = true;
        req.destroy();
      },
    };
  }

  /** Closes idle keep-alive connections; in-flight requests and watches must be finished or closed first. */
  close(): void {
    this.agent.destroy();
  }

  private url(path: string, query: Query = {}): URL {
    const url = new URL(path, this.server);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }
}
