// The operator's HTTP endpoint (port 8080): Prometheus /metrics, /healthz
// (the process works) and /readyz (caches synced; leading or standing by).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthChecks {
  healthy: () => boolean;
  ready: () => boolean;
}

export class OperatorHttpServer {
  private readonly server: Server;

  constructor(registry: Registry, checks: HealthChecks) {
    this.server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      const answer = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
        response.writeHead(status, { 'content-type': type });
        response.end(body);
      };
      if (request.method !== 'GET') return answer(405, 'method not allowed\n');
      if (path === '/healthz') return checks.healthy() ? answer(200, 'ok\n') : answer(503, 'unhealthy\n');
      if (path === '/readyz') return checks.ready() ? answer(200, 'ok\n') : answer(503, 'not ready\n');
      if (path === '/metrics') {
        registry.metrics().then(
          (text) => answer(200, text, registry.contentType),
          (error: unknown) => answer(500, `cannot collect metrics: ${(error as Error).message}\n`),
        );
        return;
      }
      answer(404, 'not found\n');
    });
  }

  /** Listens; resolves with the port (useful with port 0). */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
