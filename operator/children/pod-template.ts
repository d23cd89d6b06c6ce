// Merges the user's podTemplate with the operator's pod: the user's template is
// the base (sidecars, volumes, node selection, security context all kept), and
// for the operator's own container the fields the operator must control
// (image, args, ports, resources, probes, POD_IP and its mounts) go on top;
// the user's other variables win over the operator's.
import type { V1Container, V1EnvVar, V1PodTemplateSpec, V1Volume, V1VolumeMount } from '@kubernetes/client-node';

function mergeByName<T extends { name: string }>(base: T[] | undefined, ours: T[] | undefined): T[] | undefined {
  if (!base?.length) return ours;
  if (!ours?.length) return base;
  const names = new Set(ours.map((item) => item.name));
  return [...base.filter((item) => !names.has(item.name)), ...ours];
}

/** Variables the processes depend on as the operator sets them: POD_IP is the address they bind. */
const operatorVariables: ReadonlySet<string> = new Set(['POD_IP']);

/**
 * The user's variables win by name (BROOK_CLUSTER_SECRET from a Secret of their own, say), except the
 * operator's own. Ours come first, so the user's may refer to them, as in `$(POD_IP)`.
 */
function mergeEnv(base: V1EnvVar[] | undefined, ours: V1EnvVar[] | undefined): V1EnvVar[] | undefined {
  if (!base?.length) return ours;
  const userNames = new Set(base.map((v) => v.name));
  return [
    ...(ours ?? []).filter((v) => operatorVariables.has(v.name) || !userNames.has(v.name)),
    ...base.filter((v) => !operatorVariables.has(v.name)),
  ];
}

function mergeContainer(base: V1Container | undefined, ours: V1Container): V1Container {
  if (!base) return ours;
  return {
    ...base,
    ...ours,
    env: mergeEnv(base.env, ours.env),
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
