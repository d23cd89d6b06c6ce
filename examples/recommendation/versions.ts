// Versioned records for event-time ("as of") joins: a profile or product
// version applies from its `updatedAt` on, so a window is joined with the
// version in force at its time, whichever order the two streams arrived in.

export interface Versioned {
  updatedAt: number;
}

/** `versions` (sorted by updatedAt) with `version` added; one with the same updatedAt is replaced. */
export function withVersion<V extends Versioned>(versions: readonly V[], version: V): V[] {
  const kept = versions.filter((v) => v.updatedAt !== version.updatedAt);
  const at = kept.findIndex((v) => v.updatedAt > version.updatedAt);
  return at < 0 ? [...kept, version] : [...kept.slice(0, at), version, ...kept.slice(at)];
}

/** The version in force at `time`: the latest with updatedAt <= time; undefined before the first. */
export function versionAt<V extends Versioned>(versions: readonly V[], time: number): V | undefined {
  let found: V | undefined;
  for (const v of versions) {
    if (v.updatedAt > time) break;
    found = v;
  }
  return found;
}

/** Drops the versions no lookup at `time` or later can need: those before the one in force at `time`. */
export function withoutVersionsBefore<V extends Versioned>(versions: readonly V[], time: number): V[] {
  const current = versionAt(versions, time);
  return current === undefined ? [...versions] : versions.filter((v) => v.updatedAt >= current.updatedAt);
}
