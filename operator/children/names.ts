// Names of a StreamDeployment's children, fixed so that every part (builders,
// observer, TaskManagers finding their JobManager) derives the same ones.

export const childNames = (name: string) => ({
  configMap: `${name}-config`,
  jobManager: `${name}-jobmanager`,
  jobManagerService: `${name}-jobmanager`,
  taskManager: `${name}-taskmanager`,
});

const clusterSecretSuffix = '-cluster-secret-';
/** Secret names are DNS subdomains: at most 253 characters. */
const maxSecretName = 253;

/**
 * The cluster Secret of one incarnation of a StreamDeployment: `<name>-cluster-secret-<first 8 of uid>`.
 * The uid is in the name because garbage collection of a deleted resource's Secret is asynchronous: a
 * re-created resource of the same name must never find (and keep, or lose to the collector) the old one.
 */
export function clusterSecretName(name: string, uid: string): string {
  const fragment = uid
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 8);
  // A name cut short must still end in an alphanumeric character, as DNS subdomains do.
  const room = maxSecretName - clusterSecretSuffix.length - fragment.length;
  const prefix = name.length > room ? name.slice(0, room).replace(/[-.]+$/, '') : name;
  return `${prefix}${clusterSecretSuffix}${fragment}`;
}

export const ports = { rest: 8081, control: 6123, data: 6121, metrics: 9249 } as const;

/** Where the ConfigMap is mounted, and the file the processes read with --config. */
export const configDirectory = '/etc/brook';
export const configFileName = 'brook.yaml';
