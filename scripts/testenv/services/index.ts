// The services testenv knows, in start order. The Kubernetes control plane
// (etcd, kube-apiserver, kube-controller-manager, the process kubelet) joins
// this list with the e2e issue as `kubernetes`, defined in ./kubernetes.ts.
import { kafka } from './kafka.ts';
import { redis } from './redis.ts';
import { s3 } from './s3.ts';
import type { ServiceDefinition } from './service.ts';

export const services = { kafka, s3, redis } as const satisfies Record<string, ServiceDefinition<unknown>>;

export type ServiceName = keyof typeof services;

export const serviceNames = Object.keys(services) as ServiceName[];

export function isServiceName(name: string): name is ServiceName {
  return Object.hasOwn(services, name);
}
