// The /metrics endpoint of a `brook` process: one registry per process (with
// process metrics), served on `metrics.port`. As with Flink's Prometheus
// reporter, a port that cannot be bound costs the metrics, not the process.
import { MetricsRegistry } from '../runtime/metrics/registry.ts';
import { startMetricsServer, type MetricsServer } from '../runtime/metrics/server.ts';
import { logger, type Logger } from '../runtime/logging/logger.ts';

export interface MetricsEndpoint {
  registry: MetricsRegistry;
  /** Undefined when not served (not asked for, or the port was taken). */
  server: MetricsServer | undefined;
  close(): Promise<void>;
}

/** Serves this process's metrics on `host:port` (`port` undefined: not served, the registry still counts). */
export async function serveMetrics(
  context: Logger,
  options: { host: string; port: number | undefined },
): Promise<MetricsEndpoint> {
  const registry = new MetricsRegistry({ processMetrics: true });
  let server: MetricsServer | undefined;
  if (options.port !== undefined) {
    try {
      server = await startMetricsServer(registry, { host: options.host, port: options.port });
      logger('metrics', context).info({ url: server.url }, `metrics at ${server.url}`);
    } catch (error) {
      logger('metrics', context).warn({ err: error }, `${(error as Error).message}; running without /metrics`);
    }
  }
  return { registry, server, close: async () => server?.close() };
}
