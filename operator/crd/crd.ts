// The two CustomResourceDefinitions, built from the zod schemas in
// operator/resource/. Objects here are in wire form (the API server's field
// names), since client-node's model classes rename x-kubernetes-* and default.
import { group, version } from '../resource/stream-deployment.ts';
import { streamDeploymentSpecSchema } from '../resource/stream-deployment-spec.ts';
import { streamDeploymentStatusSchema } from '../resource/stream-deployment-status.ts';
import { streamSnapshotSpecSchema, streamSnapshotStatusSchema } from '../resource/stream-snapshot.ts';
import { openApiSchemaOf, type OpenApiSchema } from './openapi.ts';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    scope: 'Namespaced';
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames: string[];
      categories: string[];
    };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: OpenApiSchema };
      subresources: {
        status: Record<string, never>;
        scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
      };
      additionalPrinterColumns: PrinterColumn[];
    }[];
  };
}

const labels = { 'app.kubernetes.io/part-of': 'brook', 'app.kubernetes.io/managed-by': 'brook-codegen' };

function resourceSchema(kind: string, description: string, spec: OpenApiSchema, status: OpenApiSchema): OpenApiSchema {
  return {
    type: 'object',
    description,
    required: ['spec'],
    properties: {
      apiVersion: {
        type: 'string',
        description: 'APIVersion defines the versioned schema of this representation of an object.',
      },
      kind: { type: 'string', description: `Kind is ${kind}.` },
      metadata: { type: 'object' },
      spec,
      status,
    },
  };
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export function streamDeploymentCrd(): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `streamdeployments.${group}`, labels },
    spec: {
      group,
      scope: 'Namespaced',
      names: {
        kind: 'StreamDeployment',
        listKind: 'StreamDeploymentList',
        plural: 'streamdeployments',
        singular: 'streamdeployment',
        shortNames: ['sdep'],
        categories: ['brook'],
      },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: resourceSchema(
              'StreamDeployment',
              'A streaming job run by the Brook operator: a JobManager and TaskManagers, upgraded through savepoints.',
              openApiSchemaOf(streamDeploymentSpecSchema),
              openApiSchemaOf(streamDeploymentStatusSchema),
            ),
          },
          subresources: {
            status: {},
            // HPA and `kubectl scale` change the TaskManager count; the operator rescales through a savepoint.
            scale: {
              specReplicasPath: '.spec.taskManager.replicas',
              statusReplicasPath: '.status.taskManager.replicas',
              labelSelectorPath: '.status.taskManager.labelSelector',
            },
          },
          additionalPrinterColumns: [
            {
              name: 'Job Status',
              type: 'string',
              jsonPath: '.status.jobStatus.state',
              description: 'State of the job',
            },
            {
              name: 'Lifecycle State',
              type: 'string',
              jsonPath: '.status.lifecycleState',
              description: 'Lifecycle state of the deployment',
            },
            { name: 'TaskManagers', type: 'integer', jsonPath: '.spec.taskManager.replicas', priority: 1 },
            { name: 'Upgrade Mode', type: 'string', jsonPath: '.spec.job.upgradeMode', priority: 1 },
            { name: 'Job Id', type: 'string', jsonPath: '.status.jobStatus.jobId', priority: 1 },
            age,
          ],
        },
      ],
    },
  };
}

export function streamSnapshotCrd(): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `streamsnapshots.${group}`, labels },
    spec: {
      group,
      scope: 'Namespaced',
      names: {
        kind: 'StreamSnapshot',
        listKind: 'StreamSnapshotList',
        plural: 'streamsnapshots',
        singular: 'streamsnapshot',
        shortNames: ['ssnap'],
        categories: ['brook'],
      },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: resourceSchema(
              'StreamSnapshot',
              "A savepoint of a StreamDeployment's job, taken manually, periodically or for an upgrade.",
              openApiSchemaOf(streamSnapshotSpecSchema),
              openApiSchemaOf(streamSnapshotStatusSchema),
            ),
          },
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Deployment', type: 'string', jsonPath: '.spec.deploymentName' },
            { name: 'Trigger', type: 'string', jsonPath: '.spec.triggerType' },
            { name: 'State', type: 'string', jsonPath: '.status.state' },
            { name: 'Path', type: 'string', jsonPath: '.status.path', priority: 1 },
            age,
          ],
        },
      ],
    },
  };
}

export const crds = [streamDeploymentCrd, streamSnapshotCrd];
