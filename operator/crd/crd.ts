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

type Version = CustomResourceDefinition['spec']['versions'][number];

/**
 * A namespaced kind of the group, served and stored at one version: its other names follow from `kind`,
 * and its printer columns end with Age.
 */
function resourceDefinition(resource: {
  kind: string;
  shortName: string;
  description: string;
  spec: OpenApiSchema;
  status: OpenApiSchema;
  subresources: Version['subresources'];
  printerColumns: PrinterColumn[];
}): CustomResourceDefinition {
  const singular = resource.kind.toLowerCase();
  const plural = `${singular}s`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}`, labels },
    spec: {
      group,
      scope: 'Namespaced',
      names: {
        kind: resource.kind,
        listKind: `${resource.kind}List`,
        plural,
        singular,
        shortNames: [resource.shortName],
        categories: ['brook'],
      },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: resourceSchema(resource.kind, resource.description, resource.spec, resource.status),
          },
          subresources: resource.subresources,
          additionalPrinterColumns: [...resource.printerColumns, age],
        },
      ],
    },
  };
}

export function streamDeploymentCrd(): CustomResourceDefinition {
  return resourceDefinition({
    kind: 'StreamDeployment',
    shortName: 'sdep',
    description:
      'A streaming job run by the Brook operator: a JobManager and TaskManagers, upgraded through savepoints.',
    spec: openApiSchemaOf(streamDeploymentSpecSchema),
    status: openApiSchemaOf(streamDeploymentStatusSchema),
    subresources: {
      status: {},
      // HPA and `kubectl scale` change the TaskManager count; the operator rescales through a savepoint.
      scale: {
        specReplicasPath: '.spec.taskManager.replicas',
        statusReplicasPath: '.status.taskManager.replicas',
        labelSelectorPath: '.status.taskManager.labelSelector',
      },
    },
    printerColumns: [
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
    ],
  });
}

export function streamSnapshotCrd(): CustomResourceDefinition {
  return resourceDefinition({
    kind: 'StreamSnapshot',
    shortName: 'ssnap',
    description: "A savepoint of a StreamDeployment's job, taken manually, periodically or for an upgrade.",
    spec: openApiSchemaOf(streamSnapshotSpecSchema),
    status: openApiSchemaOf(streamSnapshotStatusSchema),
    subresources: { status: {} },
    printerColumns: [
      { name: 'Deployment', type: 'string', jsonPath: '.spec.deploymentName' },
      { name: 'Trigger', type: 'string', jsonPath: '.spec.triggerType' },
      { name: 'State', type: 'string', jsonPath: '.status.state' },
      { name: 'Path', type: 'string', jsonPath: '.status.path', priority: 1 },
    ],
  });
}

export const crds = [streamDeploymentCrd, streamSnapshotCrd];
