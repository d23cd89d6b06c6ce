// The pod both processes share: the brook image, the configuration mounted
// from the ConfigMap, POD_IP from the downward API (processes bind to it),
// the cluster secret from the deployment's Secret (of this incarnation),
// resources with requests equal to limits, and the user's podTemplate merged in.
import type { V1Container, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { ProcessSpec, StreamDeploymentSpec } from '../resource/stream-deployment-spec.ts';
import { deploymentHashAnnotation, jobIdAnnotation, selectorLabels, standardLabels, type Component } from './labels.ts';
import { childNames, configDirectory, ports } from './names.ts';
import { mergePodTemplate } from './pod-template.ts';
import { clusterSecretVariable } from './cluster-secret.ts';
import type { ChildContext } from './owner.ts';

export function resources(process: ProcessSpec): V1Container['resources'] {
  const amounts = { cpu: String(process.resource.cpu), memory: process.resource.memory };
  return { requests: amounts, limits: amounts };
}

export function processPod(
  ctx: ChildContext,
  spec: StreamDeploymentSpec,
  component: Exclude<Component, 'config'>,
  container: Pick<V1Container, 'args' | 'ports' | 'readinessProbe'>,
): V1PodTemplateSpec {
  const process = component === 'jobmanager' ? spec.jobManager : spec.taskManager;
  const ours: V1PodTemplateSpec = {
    metadata: {
      labels: { ...standardLabels(ctx.name, component, ctx.version), ...selectorLabels(ctx.name, component) },
      // The hash in the pod template makes any change of the deployment roll the pods.
      annotations: { [deploymentHashAnnotation]: ctx.deploymentHash, [jobIdAnnotation]: ctx.jobId },
    },
    spec: {
      ...(spec.serviceAccount !== undefined ? { serviceAccountName: spec.serviceAccount } : {}),
      containers: [
        {
          name: component,
          image: spec.image,
          ...(spec.imagePullPolicy !== undefined ? { imagePullPolicy: spec.imagePullPolicy } : {}),
          ...container,
          // A process that dies at start leaves the tail of its log in the pod's status, where the operator reads it.
          terminationMessagePolicy: 'FallbackToLogsOnError',
          env: [
            { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
            clusterSecretVariable(ctx),
          ],
          resources: resources(process),
          volumeMounts: [{ name: 'brook-config', mountPath: configDirectory, readOnly: true }],
        },
      ],
      volumes: [{ name: 'brook-config', configMap: { name: childNames(ctx.name).configMap } }],
    },
  };
  return mergePodTemplate(process.podTemplate, ours);
}

export const metricsPort = { name: 'metrics', containerPort: ports.metrics, protocol: 'TCP' } as const;
