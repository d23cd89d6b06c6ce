// Merges the user's podTemplate with the operator's pod: the user's template is
// the base (sidecars, volumes, node selection, security context all kept), and
// for the operator's own container the fields the operator must control
// (image, args, ports, resources, probes, its env and mounts) go on top.
import type { V1Container, V1EnvVar, V1PodTemplateSpec, V1Volume, V1VolumeMount } from '@kubernetes/client-node';

function mergeByName<T extends { name: string }>(base: T[] | undefined, ours: T[] | undefined): T[] | undefined {
  if (!base?.length) return ours;
  if (!ours?.length) return base;
  const names = new Set(ours.map((item) => item.name));
  return [...base.filter((item) => !names.has(item.name)), ...ours];
}

function mergeContainer(base: V1Container | undefined, ours: V1Container): V1Container {
  if (!base) return ours;
  return {
    ...base,
    ...ours,
    env: mergeByName<V1EnvVar>(base.env, ours.env),
    volumeMounts: mergeByName<V1VolumeMount>(base.volumeMounts, ours.volumeMounts),
  };
}

/** The user's template with the operator's pod on top; `ours` names exactly one container. */
export function mergePodTemplate(
  user: Record<string, unknown> | undefined,
  ours: V1PodTemplateSpec,
): V1PodTemplateSpec {
  const base = (user ?? {}) as V1PodTemplateSpec;
  const oursContainer = ours.spec!.containers[0]!;
  const baseContainers = base.spec?.containers ?? [];
  const userMain = baseContainers.find((c) => c.name === oursContainer.name);
  const sidecars = baseContainers.filter((c) => c.name !== oursContainer.name);
  return {
    metadata: {
      ...base.metadata,
      labels: { ...base.metadata?.labels, ...ours.metadata?.labels },
      annotations: { ...base.metadata?.annotations, ...ours.metadata?.annotations },
    },
    spec: {
      ...base.spec,
      ...ours.spec,
      // A service account from the user's template stays unless spec.serviceAccount names one.
      serviceAccountName: ours.spec?.serviceAccountName ?? base.spec?.serviceAccountName,
      containers: [mergeContainer(userMain, oursContainer), ...sidecars],
      volumes: mergeByName<V1Volume>(base.spec?.volumes, ours.spec?.volumes),
    },
  };
}
