// The services testenv knows, in start order. Kafka, S3 and Redis start by
// default; the Kubernetes control plane only when asked for (by name, or by a
// selected `*.kube.test.ts` file), since its first start builds it from source.
import { kafka } from './kafka.ts';
import { kubernetes } from './kubernetes.ts';
import { redis } from './redis.ts';
import { s3 } from './s3.ts';
import type { ServiceDefinition } from './service.ts';

export const services = { kafka, s3, redis, kubernetes } as const satisfies Record<string, ServiceDefinition<unknown>>;

export type ServiceName = keyof typeof services;

export const serviceNames = Object.keys(services) as ServiceName[];

/** What `testenv up` without names and `npm test` always start. */
export const defaultServiceNames: ServiceName[] = ['kafka', 's3', 'redis'];

/** Started for a test run only when a selected test file's name ends so. */
const onDemandServices: Partial<Record<ServiceName, string>> = { kubernetes: '.kube.test.ts' };

/** The services a run of these test files needs: the defaults, plus on-demand ones their names ask for. */
export function servicesForTestFiles(files: readonly string[]): ServiceName[] {
  const onDemand = Object.entries(onDemandServices)
    .filter(([, suffix]) => files.some((file) => file.endsWith(suffix)))
    .map(([name]) => name as ServiceName);
  return [...defaultServiceNames, ...onDemand];
}

export function isServiceName(name: string): name is ServiceName {
  return Object.hasOwn(services, name);
}
