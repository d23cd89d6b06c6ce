// The Prometheus endpoint of a Brook process (DESIGN.md: port 9249): GET
// /metrics answers the registry's text exposition; nothing else is served.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BrookError } from '../errors.ts';
import type { MetricsRegistry } from './registry.ts';

/** Flink's `metrics.reporter.prom.port` default. */
export const DEFAULT_METRICS_PORT = 9249;

export interface MetricsServer {
  /** e.g. http://127.0.0.1:9249/metrics */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export class MetricsListenError extends BrookError {
  constructor(host: string, port: number, cause: Error) {
    super('BROOK_METRICS_LISTEN', `cannot serve /metrics on ${host}:${port}: ${cause.message}`, { cause });
  }
}

/**
 * Serves `registry` on `host:port` (0: any free port).
 *
 * @example
 * const server = await startMetricsServer(registry, { host: '127.0.0.1', port: 9249 })
 * console.error(`metrics at ${server.url}`)
 */
export async function startMetricsServer(
  registry: MetricsRegistry,
  options: { host: string; port: number },
): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: try /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end();
      return;
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(text) });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(`collecting metrics failed: ${(error as Error).message}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    const refuse = (error: Error) => reject(new MetricsListenError(options.host, options.port, error));
    server.once('error', refuse);
    server.listen(options.port, options.host, () => {
      server.off('error', refuse);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
