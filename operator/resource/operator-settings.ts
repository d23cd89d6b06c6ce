// The operator's per-deployment settings, read from the `kubernetes.operator.*`
// keys of spec.config with their defaults. The CRD refuses malformed values at
// apply time (see validation-rules.ts); this parse is the same check in code.
import { operatorKeys } from './config-keys.ts';
import { parseDuration } from './duration.ts';
import { OperatorSettingInvalidError } from './errors.ts';

export interface OperatorSettings {
  rollbackEnabled: boolean;
  /** How long a new deployment has to become stable before it is rolled back. */
  readinessTimeoutMs: number;
  /** How long the job must run without a restart to count as stable. */
  stabilityWindowMs: number;
  /** How long a savepoint may stay in progress before the operator says so (and stops waiting for a manual one). */
  savepointTimeoutMs: number;
  /** Failed stop-with-savepoint attempts of one upgrade before it is held back. */
  savepointMaxAttempts: number;
  /**
   * How long a savepoint upgrade, suspension or deletion waits for a job that is restarting or starting
   * to run again before it falls back to the latest checkpoint.
   */
  upgradeWaitForRunningMs: number;
  periodicSavepointIntervalMs: number | undefined;
  savepointHistoryMaxCount: number;
  savepointHistoryMaxAgeMs: number;
  savepointOnDeletion: boolean;
  cancelTimeoutMs: number;
  restartMaxAttempts: number;
  restartBackoffInitialMs: number;
  restartBackoffMaxMs: number;
  restartMaxStateAgeMs: number | undefined;
  /** Restarts of a failing JobManager container (not ready, exiting non-zero or in CrashLoopBackOff) before the deployment counts as FAILED. */
  jobManagerCrashLoopRestarts: number;
  /**
   * How long a JobManager container may wait on what it cannot start without (an image it cannot pull, a
   * Secret or ConfigMap key that is missing) before the deployment counts as FAILED: such waits often pass
   * by themselves (a registry's hiccup, a Secret applied a moment later).
   */
  jobManagerCannotStartGraceMs: number;
}

export const defaultOperatorSettings: OperatorSettings = {
  rollbackEnabled: false,
  readinessTimeoutMs: 5 * 60_000,
  stabilityWindowMs: 60_000,
  savepointTimeoutMs: 10 * 60_000,
  savepointMaxAttempts: 3,
  upgradeWaitForRunningMs: 5 * 60_000,
  periodicSavepointIntervalMs: undefined,
  savepointHistoryMaxCount: 10,
  savepointHistoryMaxAgeMs: 86_400_000,
  savepointOnDeletion: false,
  cancelTimeoutMs: 60_000,
  restartMaxAttempts: 5,
  restartBackoffInitialMs: 10_000,
  restartBackoffMaxMs: 5 * 60_000,
  restartMaxStateAgeMs: undefined,
  jobManagerCrashLoopRestarts: 2,
  // The kubelet retries a pull after 10, 20, 40 s: two minutes leave room for three more attempts.
  jobManagerCannotStartGraceMs: 2 * 60_000,
};

type Kind = 'boolean' | 'duration' | 'count';

/** Which setting each key fills, and how its value is written. */
const fields: { key: string; field: keyof OperatorSettings; kind: Kind }[] = [
  { key: operatorKeys.rollbackEnabled, field: 'rollbackEnabled', kind: 'boolean' },
  { key: operatorKeys.readinessTimeout, field: 'readinessTimeoutMs', kind: 'duration' },
  { key: operatorKeys.stabilityWindow, field: 'stabilityWindowMs', kind: 'duration' },
  { key: operatorKeys.savepointTimeout, field: 'savepointTimeoutMs', kind: 'duration' },
  { key: operatorKeys.savepointMaxAttempts, field: 'savepointMaxAttempts', kind: 'count' },
  { key: operatorKeys.upgradeWaitForRunning, field: 'upgradeWaitForRunningMs', kind: 'duration' },
  { key: operatorKeys.periodicSavepointInterval, field: 'periodicSavepointIntervalMs', kind: 'duration' },
  { key: operatorKeys.savepointHistoryMaxCount, field: 'savepointHistoryMaxCount', kind: 'count' },
  { key: operatorKeys.savepointHistoryMaxAge, field: 'savepointHistoryMaxAgeMs', kind: 'duration' },
  { key: operatorKeys.savepointOnDeletion, field: 'savepointOnDeletion', kind: 'boolean' },
  { key: operatorKeys.cancelTimeout, field: 'cancelTimeoutMs', kind: 'duration' },
  { key: operatorKeys.restartMaxAttempts, field: 'restartMaxAttempts', kind: 'count' },
  { key: operatorKeys.restartBackoffInitial, field: 'restartBackoffInitialMs', kind: 'duration' },
  { key: operatorKeys.restartBackoffMax, field: 'restartBackoffMaxMs', kind: 'duration' },
  { key: operatorKeys.restartMaxStateAge, field: 'restartMaxStateAgeMs', kind: 'duration' },
  { key: operatorKeys.jobManagerCrashLoopRestarts, field: 'jobManagerCrashLoopRestarts', kind: 'count' },
  {
    key: operatorKeys.jobManagerCannotStartGracePeriod,
    field: 'jobManagerCannotStartGraceMs',
    kind: 'duration',
  },
];

/** The settings keys with the kind of value each takes, for the CRD's rules and the docs. */
export const operatorSettingKinds: readonly { key: string; kind: Kind }[] = fields;

/** Reads the operator's settings from spec.config; throws OperatorSettingInvalidError naming the key. */
export function readOperatorSettings(config: Record<string, string>): OperatorSettings {
  const settings: Record<string, unknown> = { ...defaultOperatorSettings };
  for (const { key, field, kind } of fields) {
    const raw = config[key];
    if (raw === undefined) continue;
    settings[field] = parseSetting(key, raw, kind);
  }
  return settings as unknown as OperatorSettings;
}

function parseSetting(key: string, raw: string, kind: Kind): boolean | number {
  const value = raw.trim();
  if (kind === 'boolean') {
    if (value === 'true' || value === 'false') return value === 'true';
    throw new OperatorSettingInvalidError(key, raw, 'true or false');
  }
  if (kind === 'count') {
    if (/^[0-9]+$/.test(value)) return Number(value);
    throw new OperatorSettingInvalidError(key, raw, 'a whole number');
  }
  const ms = parseDuration(value);
  if (ms === undefined) throw new OperatorSettingInvalidError(key, raw, 'a duration such as 30s, 5 min or 1h');
  return ms;
}
