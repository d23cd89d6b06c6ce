// The `brook` commands of DESIGN.md: their flags, their help, and the module
// that runs each. Flags are declared once here; parsing and help derive from it.
import { z } from 'zod';
import { operatorFlags, operatorFlagsSchema } from './operator-command.ts';

export interface FlagSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** Shown in help, e.g. `N` in `--parallelism N`. */
  valueName?: string;
  description: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional arguments, e.g. `JOB`; all required. */
  positionals: string[];
  flags: Record<string, FlagSpec>;
  /** Validates and converts the parsed flags; its messages name the flag. */
  schema: z.ZodType;
  /** The issue that brings the command to life, while it is not there yet. */
  pendingIssue?: number;
}

const positiveInt = (flag: string) =>
  z
    .string()
    .regex(/^[1-9][0-9]*$/, `--${flag} must be a positive integer`)
    .transform(Number);

const keyValue = z.string().regex(/^[^=]+=.*$/, '--set takes key=value');

const hostPort = (flag: string) => z.string().regex(/^[^:\s]+:[0-9]{1,5}$/, `--${flag} must be HOST:PORT`);

const url = (flag: string) => z.url({ message: `--${flag} must be a URL such as http://localhost:8081` });

/** `--config FILE`, `--env PROFILE` and repeatable `--set k=v`, shared by the commands that run a process. */
const configurationFlags: Record<string, FlagSpec> = {
  config: { type: 'string', valueName: 'FILE', description: 'YAML configuration file (docs/configuration.md)' },
  env: { type: 'string', valueName: 'PROFILE', description: 'profile of the configuration file (default: $BROOK_ENV)' },
  set: { type: 'string', multiple: true, valueName: 'k=v', description: 'override one configuration key (repeatable)' },
};

const configurationSchema = {
  config: z.string().optional(),
  env: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, '--env takes a profile name such as production')
    .optional(),
  set: z.array(keyValue).optional(),
};

const jobManagerClientFlags: Record<string, FlagSpec> = {
  jobmanager: {
    type: 'string',
    valueName: 'URL',
    description: 'the JobManager REST address, e.g. http://localhost:8081',
  },
};

const jobManagerClientSchema = z.object({ jobmanager: url('jobmanager') });

const targetDirectoryFlag: FlagSpec = {
  type: 'string',
  valueName: 'DIR',
  description: "where the savepoint goes, file:///dir or s3://bucket/prefix (default: the job's state.savepoints.dir)",
};

const targetDirectory = z
  .string()
  .regex(
    /^(file:\/\/\/|s3:\/\/[^/]+|\/)/,
    '--target-directory must be file:///dir, s3://bucket/prefix or an absolute path',
  )
  .optional();

export const commands: CommandSpec[] = [
  {
    name: 'run',
    summary: 'run a job on the local mini-cluster (one process); Ctrl-C stops it with a savepoint',
    positionals: ['JOB'],
    flags: {
      parallelism: { type: 'string', valueName: 'N', description: 'parallel instances of each operator' },
      ...configurationFlags,
      'from-savepoint': { type: 'string', valueName: 'URI', description: 'restore state from this savepoint' },
      'print-config': {
        type: 'boolean',
        description: 'print the effective configuration (secrets masked) and exit without running',
      },
    },
    schema: z.object({
      parallelism: positiveInt('parallelism').optional(),
      ...configurationSchema,
      'from-savepoint': z.string().optional(),
      'print-config': z.boolean().optional(),
    }),
  },
  {
    name: 'jobmanager',
    summary:
      'the JobManager process (what a JobManager pod runs): runs JOB across the TaskManagers that register; arguments after -- go to the job',
    positionals: [],
    flags: {
      job: { type: 'string', valueName: 'JOB', description: 'the job module to load' },
      ...configurationFlags,
    },
    schema: z.object({
      job: z.string({ message: '--job is required' }),
      ...configurationSchema,
    }),
  },
  {
    name: 'taskmanager',
    summary: 'a TaskManager process (what a TaskManager pod runs)',
    positionals: [],
    flags: {
      jobmanager: { type: 'string', valueName: 'HOST:PORT', description: "the JobManager's control address" },
      ...configurationFlags,
    },
    schema: z.object({
      jobmanager: hostPort('jobmanager'),
      ...configurationSchema,
    }),
  },
  {
    name: 'operator',
    summary: 'the Kubernetes operator for StreamDeployment resources',
    positionals: [],
    flags: operatorFlags,
    schema: operatorFlagsSchema,
  },
  {
    name: 'list',
    summary: 'list the jobs of a JobManager',
    positionals: [],
    flags: jobManagerClientFlags,
    schema: jobManagerClientSchema,
  },
  {
    name: 'status',
    summary: "show a job's state and its latest checkpoint",
    positionals: ['JOBID'],
    flags: jobManagerClientFlags,
    schema: jobManagerClientSchema,
  },
  {
    name: 'savepoint',
    summary: 'trigger a savepoint of a running job, wait for it and print its path',
    positionals: ['JOBID'],
    flags: { ...jobManagerClientFlags, 'target-directory': targetDirectoryFlag },
    schema: jobManagerClientSchema.extend({ 'target-directory': targetDirectory }),
  },
  {
    name: 'stop',
    summary: 'stop a running job with a savepoint, wait for it and print its path',
    positionals: ['JOBID'],
    flags: {
      ...jobManagerClientFlags,
      'target-directory': targetDirectoryFlag,
      drain: {
        type: 'boolean',
        description: 'end the input first (MAX_WATERMARK: every window and timer fires) before the savepoint',
      },
    },
    schema: jobManagerClientSchema.extend({ 'target-directory': targetDirectory, drain: z.boolean().optional() }),
  },
  {
    name: 'cancel',
    summary: 'cancel a running job (no savepoint)',
    positionals: ['JOBID'],
    flags: jobManagerClientFlags,
    schema: jobManagerClientSchema,
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return commands.find((c) => c.name === name);
}
