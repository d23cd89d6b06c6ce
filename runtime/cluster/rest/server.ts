// The JobManager REST API over node:http (DESIGN.md: port 8081): routes a
// request, reads its JSON body, answers JSON, and turns errors into Flink's
// `{"errors": [...]}` with the matching status code; `/` is the web dashboard.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BrookError, describeCauseChain } from '../../errors.ts';
import { JobConflictError, UnknownJobError, type JobsBackend } from '../jobs-backend.ts';
import { handle, type RestContext } from './handlers.ts';
import { dashboardAsset } from './dashboard/assets.ts';
import { errorBody, RestError } from './rest-error.ts';
import { matchRoute } from './routes.ts';
import { TriggerStore, type TriggerStoreOptions } from './triggers.ts';
import { logger } from '../../logging/logger.ts';

export interface RestServerOptions {
  backend: JobsBackend;
  /** 0: any free port (read it from the result). */
  port: number;
  /** Default: $POD_IP when set (DESIGN.md), else 127.0.0.1. */
  address?: string;
  /** Reported as `flink-version`; default: Brook's package version. */
  version?: string;
  triggers?: TriggerStoreOptions;
  /** Larger request bodies are refused with 413 (default 64 KiB). */
  maxBodyBytes?: number;
}

export interface RestServer {
  readonly address: string;
  readonly port: number;
  /** e.g. http://127.0.0.1:8081 */
  readonly url: string;
  /** Savepoint and stop operations, e.g. to wait until their results were fetched before exiting. */
  readonly triggers: TriggerStore;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function defaultBindAddress(): string {
  return process.env.POD_IP || '127.0.0.1';
}

class BodyTooLargeError extends RestError {
  constructor(limit: number) {
    super(413, `request body larger than ${limit} bytes`);
  }
}

async function readJsonBody(request: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new RestError(400, `request body is not valid JSON: ${(error as Error).message}`);
  }
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** The status and message an error is answered with. */
export function errorResponse(error: unknown): { status: number; message: string; headers: Record<string, string> } {
  if (error instanceof RestError) return { status: error.status, message: error.message, headers: error.headers };
  if (error instanceof UnknownJobError) return { status: 404, message: error.message, headers: {} };
  if (error instanceof JobConflictError) return { status: 409, message: error.message, headers: {} };
  return { status: 500, message: `internal server error: ${describeCauseChain(error)}`, headers: {} };
}

async function serve(context: RestContext, maxBodyBytes: number, request: IncomingMessage, response: ServerResponse) {
  const method = request.method ?? 'GET';
  const url = new URL(request.url ?? '/', 'http://localhost');
  try {
    const asset = dashboardAsset(method, url.pathname);
    if (asset) {
      // The dashboard (docs/dashboard.md); revalidated at every load, so an upgraded JobManager serves its own.
      response.writeHead(200, {
        'content-type': asset.contentType,
        'content-length': asset.body.length,
        'cache-control': 'no-cache',
      });
      response.end(method === 'HEAD' ? undefined : asset.body);
      return;
    }
    const match = matchRoute(method, url.pathname);
    if (match.kind === 'not-found') throw new RestError(404, `not found: ${url.pathname}`);
    if (match.kind === 'method-not-allowed') {
      throw new RestError(
        405,
        `method ${method} is not allowed on ${url.pathname} (allowed: ${match.allow.join(', ')})`,
        { allow: match.allow.join(', ') },
      );
    }
    const body = method === 'GET' ? undefined : await readJsonBody(request, maxBodyBytes);
    const result = await handle({ route: match.route, params: match.params, query: url.searchParams, body }, context);
    send(response, result.status, result.body);
  } catch (error) {
    const { status, message, headers } = errorResponse(error);
    if (status >= 500) logger('rest').error({ method, path: url.pathname, err: error }, 'REST request failed');
    // A body left unread would be taken as the next request on this connection.
    if (error instanceof BodyTooLargeError) headers.connection = 'close';
    send(response, status, errorBody(message), headers);
  }
}

/**
 * Starts the REST API for `backend`.
 *
 * @example
 * const rest = await startRestServer({ backend, port: 8081 })
 * console.error(`REST API at ${rest.url}`)
 * await rest.close()
 */
export async function startRestServer(options: RestServerOptions): Promise<RestServer> {
  const triggers = new TriggerStore(options.triggers);
  const context: RestContext = {
    backend: options.backend,
    triggers,
    version: options.version ?? packageVersion(),
    now: Date.now,
  };
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const server = createServer((request, response) => void serve(context, maxBodyBytes, request, response));
  const host = options.address ?? defaultBindAddress();
  await new Promise<void>((resolve, reject) => {
    const refuse = (error: Error) =>
      reject(
        new BrookError('BROOK_REST_LISTEN', `cannot serve the REST API on ${host}:${options.port}: ${error.message}`, {
          cause: error,
        }),
      );
    server.once('error', refuse);
    server.listen(options.port, host, () => {
      server.off('error', refuse);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const urlHost = address.includes(':') ? `[${address}]` : address;
  return {
    address,
    port,
    url: `http://${urlHost}:${port}`,
    triggers,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
