// The rules a StreamDeployment spec must satisfy beyond its shape, each written
// twice from one place: as a CEL rule the API server runs at `kubectl apply`,
// and as a check the operator runs when it parses the resource. Each message
// names the field it is about.
import { operatorKeys, runtimeKeys } from './config-keys.ts';
import { operatorSettingKinds } from './operator-settings.ts';
import { durationPattern } from './duration.ts';

/** The part of the spec the checks read; the parsed spec satisfies it. */
export interface CheckedSpec {
  config: Record<string, string>;
  jobManager: { replicas: number };
  taskManager: { replicas: number };
  job: {
    upgradeMode: string;
    parallelism?: number | undefined;
    initialSavepointPath?: string | undefined;
    savepointTriggerNonce?: number | undefined;
    restartPolicy: string;
  };
}

export interface SpecRule {
  /** CEL, evaluated with `self` bound to spec. */
  rule: string;
  message: string;
  /** Where the API server reports the error, relative to spec (Kubernetes ≥1.28). */
  fieldPath: string;
  reason: 'FieldValueInvalid' | 'FieldValueRequired';
  check: (spec: CheckedSpec) => boolean;
}

/** file:///path or s3://bucket/..., as the runtime's checkpoint storage accepts. */
export const storageUriPattern = '^(file:///|s3://[^/]+)';
const storageUri = new RegExp(storageUriPattern);

/** The config keys whose values must be storage URIs, and what they must look like. */
export const storageUriKeys: readonly string[] = [runtimeKeys.savepointsDir, runtimeKeys.checkpointsDir];
export const storageUriExpected = 'a file:///path or s3://bucket/prefix URI';
export const isStorageUri = (value: string): boolean => storageUri.test(value);

const hasKey = (key: string) => `('${key}' in self.config)`;
const savepointsDir = runtimeKeys.savepointsDir;
const checkpointsDir = runtimeKeys.checkpointsDir;

function needsKey(condition: string, key: string): string {
  return `!(${condition}) || ${hasKey(key)}`;
}

export const specRules: SpecRule[] = [
  {
    rule: needsKey(`self.job.upgradeMode == 'savepoint'`, savepointsDir),
    message: `spec.job.upgradeMode savepoint needs spec.config["${savepointsDir}"], the directory upgrade savepoints are written to`,
    fieldPath: '.job.upgradeMode',
    reason: 'FieldValueRequired',
    check: (s) => s.job.upgradeMode !== 'savepoint' || savepointsDir in s.config,
  },
  {
    rule: needsKey(`self.job.upgradeMode == 'last-state'`, checkpointsDir),
    message: `spec.job.upgradeMode last-state needs spec.config["${checkpointsDir}"], where the latest checkpoint is found`,
    fieldPath: '.job.upgradeMode',
    reason: 'FieldValueRequired',
    check: (s) => s.job.upgradeMode !== 'last-state' || checkpointsDir in s.config,
  },
  {
    rule: needsKey(`has(self.job.savepointTriggerNonce)`, savepointsDir),
    message: `spec.job.savepointTriggerNonce needs spec.config["${savepointsDir}"], the directory manual savepoints are written to`,
    fieldPath: '.job.savepointTriggerNonce',
    reason: 'FieldValueRequired',
    check: (s) => s.job.savepointTriggerNonce === undefined || savepointsDir in s.config,
  },
  {
    rule: needsKey(hasKey(operatorKeys.periodicSavepointInterval), savepointsDir),
    message: `spec.config["${operatorKeys.periodicSavepointInterval}"] needs spec.config["${savepointsDir}"], the directory periodic savepoints are written to`,
    fieldPath: '.config',
    reason: 'FieldValueRequired',
    check: (s) => !(operatorKeys.periodicSavepointInterval in s.config) || savepointsDir in s.config,
  },
  {
    rule: needsKey(`self.job.restartPolicy == 'FromLatestState'`, checkpointsDir),
    message: `spec.job.restartPolicy FromLatestState needs spec.config["${checkpointsDir}"], where the latest checkpoint is found`,
    fieldPath: '.job.restartPolicy',
    reason: 'FieldValueRequired',
    check: (s) => s.job.restartPolicy !== 'FromLatestState' || checkpointsDir in s.config,
  },
  {
    rule: needsKey(`self.job.restartPolicy == 'FromSavepointOnFailure'`, savepointsDir),
    message: `spec.job.restartPolicy FromSavepointOnFailure needs spec.config["${savepointsDir}"], where savepoints are kept`,
    fieldPath: '.job.restartPolicy',
    reason: 'FieldValueRequired',
    check: (s) => s.job.restartPolicy !== 'FromSavepointOnFailure' || savepointsDir in s.config,
  },
  ...storageUriKeys.map((key): SpecRule => ({
    rule: `!${hasKey(key)} || self.config['${key}'].matches('${storageUriPattern}')`,
    message: `spec.config["${key}"] must be ${storageUriExpected}`,
    fieldPath: '.config',
    reason: 'FieldValueInvalid',
    check: (s) => s.config[key] === undefined || isStorageUri(s.config[key]),
  })),
  {
    rule: `!has(self.job.initialSavepointPath) || self.job.initialSavepointPath.matches('${storageUriPattern}')`,
    message: 'spec.job.initialSavepointPath must be a file:///path or s3://bucket/path URI',
    fieldPath: '.job.initialSavepointPath',
    reason: 'FieldValueInvalid',
    check: (s) => s.job.initialSavepointPath === undefined || storageUri.test(s.job.initialSavepointPath),
  },
  {
    rule: 'self.taskManager.replicas >= 1',
    message: 'spec.taskManager.replicas must be at least 1 (to stop the job, set spec.job.state: suspended)',
    fieldPath: '.taskManager.replicas',
    reason: 'FieldValueInvalid',
    check: (s) => s.taskManager.replicas >= 1,
  },
  {
    rule: 'self.jobManager.replicas == 1',
    message: 'spec.jobManager.replicas must be 1: a job has one JobManager (standby JobManagers are not supported)',
    fieldPath: '.jobManager.replicas',
    reason: 'FieldValueInvalid',
    check: (s) => s.jobManager.replicas === 1,
  },
  {
    rule: '!has(self.job.parallelism) || self.job.parallelism >= 1',
    message: 'spec.job.parallelism must be at least 1',
    fieldPath: '.job.parallelism',
    reason: 'FieldValueInvalid',
    check: (s) => s.job.parallelism === undefined || s.job.parallelism >= 1,
  },
  {
    rule: '!has(self.job.parallelism) || self.job.parallelism <= self.taskManager.replicas',
    message:
      'spec.job.parallelism must not exceed spec.taskManager.replicas: a TaskManager has one slot, so parallelism N needs N TaskManagers',
    fieldPath: '.job.parallelism',
    reason: 'FieldValueInvalid',
    check: (s) => s.job.parallelism === undefined || s.job.parallelism <= s.taskManager.replicas,
  },
  ...operatorSettingKinds.map(({ key, kind }): SpecRule => {
    const pattern = kind === 'boolean' ? '^(true|false)$' : kind === 'count' ? '^[0-9]+$' : durationPattern;
    const expected =
      kind === 'boolean'
        ? 'true or false'
        : kind === 'count'
          ? 'a whole number'
          : 'a duration such as 30s, 5 min or 1h';
    const jsPattern = new RegExp(pattern.replace('(?i)', ''), kind === 'duration' ? 'i' : '');
    return {
      rule: `!${hasKey(key)} || self.config['${key}'].matches('${pattern.replaceAll('\\', '\\\\')}')`,
      message: `spec.config["${key}"] must be ${expected}`,
      fieldPath: '.config',
      reason: 'FieldValueInvalid',
      check: (s) => s.config[key] === undefined || jsPattern.test(s.config[key]),
    };
  }),
];
