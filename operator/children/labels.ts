// The labels and annotations every child object carries: the standard
// app.kubernetes.io/* set, the component, and the deployment hash.

export type Component = 'jobmanager' | 'taskmanager' | 'config' | 'cluster-secret';

export const deploymentHashAnnotation = 'brook.dev/deployment-hash';
export const jobIdAnnotation = 'brook.dev/job-id';

/** Labels that select one StreamDeployment's pods of one component (stable across upgrades). */
export function selectorLabels(name: string, component: Component): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'brook',
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/component': component,
  };
}

export function standardLabels(name: string, component: Component, version: string): Record<string, string> {
  return {
    ...selectorLabels(name, component),
    'app.kubernetes.io/part-of': name,
    'app.kubernetes.io/managed-by': 'brook-operator',
    'app.kubernetes.io/version': version,
  };
}

/** The label selector of the TaskManager pods, as the scale subresource reports it. */
export function taskManagerSelector(name: string): string {
  return Object.entries(selectorLabels(name, 'taskmanager'))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
