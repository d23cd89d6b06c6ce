// `brook operator`: the Kubernetes operator for StreamDeployments. Reads its
// flags (and the pod's environment), runs the controller until SIGTERM or
// SIGINT, then shuts down gracefully (reconciles in flight finish, the leader
// Lease is released) and exits 0.
//
// The flags and their schema load light (cli/commands.ts may import them);
// the controller and the Kubernetes client load only when the command runs.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { isLogLevel, logLevels, type LogLevel } from '../runtime/logging/levels.ts';
import type { S3StorageOptions } from '../runtime/checkpoint/storage.ts';
import { parseDuration } from '../operator/resource/duration.ts';
import type { Controller, ControllerOptions } from '../operator/controller/controller.ts';
import type { FlagSpec } from './commands.ts';
import type { DefaultConfig } from '../operator/resource/default-config.ts';

const defaultJobManagerUrlTemplate = 'http://{name}-jobmanager.{namespace}.svc:8081';

/** The flags of `brook operator`, for cli/commands.ts. */
export const operatorFlags: Record<string, FlagSpec> = {
  kubeconfig: {
    type: 'string',
    valueName: 'FILE',
    description: 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or the in-cluster service account)',
  },
  namespaces: {
    type: 'string',
    valueName: 'NS[,NS...]',
    description: 'namespaces whose StreamDeployments to manage (default: all)',
  },
  'metrics-port': { type: 'string', valueName: 'PORT', description: '/metrics, /healthz and /readyz (default 8080)' },
  'leader-election-namespace': {
    type: 'string',
    valueName: 'NS',
    description: 'namespace of the leader Lease (default: $POD_NAMESPACE; without either, no leader election)',
  },
  'lease-name': { type: 'string', valueName: 'NAME', description: 'name of the leader Lease (default brook-operator)' },
  'lease-duration': {
    type: 'string',
    valueName: 'DURATION',
    description: 'how long a leader that stopped renewing keeps the Lease (default 15s; it renews every 2s or so)',
  },
  'jobmanager-url': {
    type: 'string',
    valueName: 'TEMPLATE',
    description:
      'JobManager REST address; {name} and {namespace} are replaced (default http://{name}-jobmanager.{namespace}.svc:8081)',
  },
  workers: {
    type: 'string',
    valueName: 'N',
    description: 'reconciles at once, one per resource at a time (default 2)',
  },
  'resync-period': {
    type: 'string',
    valueName: 'DURATION',
    description: 'reconcile every resource at least this often (default 10 min)',
  },
  'default-config': {
    type: 'string',
    valueName: 'FILE',
    description:
      'YAML map of configuration keys every StreamDeployment gets unless its spec.config sets them (docs/operator.md)',
  },
  'log-level': {
    type: 'string',
    valueName: 'LEVEL',
    description: `${logLevels.join(', ')} (default: $BROOK_LOG_LEVEL, else info)`,
  },
  'log-module': {
    type: 'string',
    multiple: true,
    valueName: 'MODULE=LEVEL',
    description: 'level of one module, e.g. operator.reconcile=debug (repeatable; docs/logging.md)',
  },
  'log-pretty': { type: 'boolean', description: 'human-readable log lines instead of JSON' },
};

const duration = (flag: string) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `--${flag} must be a duration such as 30s or 10 min` });
      return z.NEVER;
    }
    return ms;
  });

const port = z
  .string()
  .regex(/^[0-9]{1,5}$/, '--metrics-port must be a port number')
  .transform(Number)
  .refine((n) => n <= 65535, '--metrics-port must be a port number');

const dnsName = (flag: string) =>
  z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, `--${flag} must be a Kubernetes name`);

/** Validates the flags of `brook operator`; its messages name the flag. */
export const operatorFlagsSchema = z.object({
  kubeconfig: z.string().optional(),
  namespaces: z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((ns) => ns.trim())
        .filter((ns) => ns !== ''),
    )
    .refine(
      (list) => list.every((ns) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns)),
      '--namespaces takes namespace names separated by commas',
    )
    .optional(),
  'metrics-port': port.optional(),
  'leader-election-namespace': dnsName('leader-election-namespace').optional(),
  'lease-name': dnsName('lease-name').optional(),
  'lease-duration': duration('lease-duration')
    .refine((ms) => ms >= 2_000, '--lease-duration must be at least 2s')
    .optional(),
  'jobmanager-url': z
    .string()
    .regex(/^https?:\/\//, '--jobmanager-url must start with http:// or https://')
    .optional(),
  workers: z
    .string()
    .regex(/^[1-9][0-9]*$/, '--workers must be a positive integer')
    .transform(Number)
    .optional(),
  'resync-period': duration('resync-period').optional(),
  'default-config': z.string().min(1, '--default-config takes a file').optional(),
  'log-level': z
    .string()
    .refine(isLogLevel, `--log-level must be one of ${logLevels.join(', ')}`)
    .optional(),
  'log-module': z
    .array(
      z
        .string()
        .regex(
          new RegExp(`^[a-z][a-z.-]*=(${logLevels.join('|')})$`),
          `--log-module takes MODULE=LEVEL with a level among ${logLevels.join(', ')}`,
        ),
    )
    .transform((entries) => Object.fromEntries(entries.map((e) => e.split('=') as [string, LogLevel])))
    .optional(),
  'log-pretty': z.boolean().optional(),
});

export type OperatorFlags = z.output<typeof operatorFlagsSchema>;

/** The controller's options from the flags and the environment (POD_NAMESPACE, POD_NAME, POD_IP, AWS_ENDPOINT_URL_S3). */
export function operatorOptions(
  flags: OperatorFlags,
  env: NodeJS.ProcessEnv,
  log: Logger,
): Omit<ControllerOptions, 'kubeConfig'> {
  const leaseNamespace = flags['leader-election-namespace'] ?? env.POD_NAMESPACE;
  const leaseDurationMs = flags['lease-duration'] ?? 15_000;
  const template = flags['jobmanager-url'] ?? defaultJobManagerUrlTemplate;
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const s3: S3StorageOptions = endpoint !== undefined ? { endpoint, forcePathStyle: true } : {};
  return {
    log,
    ...(flags.namespaces !== undefined && flags.namespaces.length > 0 ? { namespaces: flags.namespaces } : {}),
    metricsPort: flags['metrics-port'] ?? 8080,
    // As every Brook process: bind the pod's own address when there is one (DESIGN.md, "Processes and ports").
    ...(env.POD_IP ? { metricsHost: env.POD_IP } : {}),
    workers: flags.workers ?? 2,
    ...(flags['resync-period'] !== undefined ? { resyncPeriodMs: flags['resync-period'] } : {}),
    jobManagerUrl: (namespace, name) => template.replaceAll('{name}', name).replaceAll('{namespace}', namespace),
    s3,
    identity: env.POD_NAME ?? `${hostname()}-${randomBytes(3).toString('hex')}`,
    leaderElection:
      leaseNamespace === undefined
        ? false
        : {
            namespace: leaseNamespace,
            leaseName: flags['lease-name'] ?? 'brook-operator',
            // As client-go's defaults (15 s, 10 s, 2 s) scale.
            leaseDurationMs,
            renewDeadlineMs: Math.round((leaseDurationMs * 2) / 3),
            retryPeriodMs: Math.min(2_000, Math.round(leaseDurationMs / 5)),
          },
  };
}

/**
 * Runs `brook operator` until SIGTERM or SIGINT; resolves with the exit code.
 *
 * @example
 * const flags = operatorFlagsSchema.parse({ namespaces: 'streaming' });
 * process.exitCode = await runOperator(flags);
 */
export async function runOperator(flags: OperatorFlags): Promise<number> {
  const { configureLoggingFrom, configureLogging, logger, rootLogger } = await import('../runtime/logging/logger.ts');
  const { Controller } = await import('../operator/controller/controller.ts');
  const { loadKubeConfig } = await import('../operator/controller/kube-api.ts');
  configureLoggingFrom({
    logging: { level: flags['log-level'], modules: flags['log-module'] ?? {}, pretty: flags['log-pretty'] },
  });
  configureLogging({ bindings: { process: 'operator' } });
  // The context the controller's modules (operator.*) log under; reconciles add namespace and name.
  const log = rootLogger();
  const options = operatorOptions(flags, process.env, log);
  if (options.leaderElection === false) {
    logger('operator.controller').warn(
      'no leader election (neither --leader-election-namespace nor $POD_NAMESPACE): run one replica only',
    );
  }
  let controller: Controller;
  try {
    const defaultConfig = await readDefaultConfigFlag(flags['default-config']);
    controller = new Controller({ ...options, defaultConfig, kubeConfig: loadKubeConfig(flags.kubeconfig) });
    await controller.start();
  } catch (error) {
    logger('operator.controller').fatal({ err: error }, `cannot start: ${(error as Error).message}`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger('operator.controller').info({ signal }, 'shutting down');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await controller.stop();
  return 0;
}

async function readDefaultConfigFlag(file: string | undefined): Promise<DefaultConfig> {
  if (file === undefined) return {};
  const { readFile } = await import('node:fs/promises');
  const { parseDefaultConfig, DefaultConfigInvalidError } = await import('../operator/resource/default-config.ts');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new DefaultConfigInvalidError(file, `cannot be read (${(error as Error).message})`);
  }
  return parseDefaultConfig(text, file);
}
