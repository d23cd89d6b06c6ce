// Names of a StreamDeployment's children, fixed so that every part (builders,
// observer, TaskManagers finding their JobManager) derives the same ones.

export const childNames = (name: string) => ({
  configMap: `${name}-config`,
  jobManager: `${name}-jobmanager`,
  jobManagerService: `${name}-jobmanager`,
  taskManager: `${name}-taskmanager`,
  clusterSecret: `${name}-cluster-secret`,
});

export const ports = { rest: 8081, control: 6123, data: 6121, metrics: 9249 } as const;

/** Where the ConfigMap is mounted, and the file the processes read with --config. */
export const configDirectory = '/etc/brook';
export const configFileName = 'brook.yaml';
