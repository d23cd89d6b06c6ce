// Loads a job module and builds its pipeline the way every Brook process does
// (brook run, the JobManager, each TaskManager): the same module, the same
// configuration, so the same job graph, as Flink loads the same jar everywhere.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StreamEnvironment } from '../api/environment.ts';
import { applyConfiguration } from '../config/apply.ts';
import { makeConfiguration } from '../config/configuration.ts';
import { BrookError } from '../errors.ts';
import type { JobGraph } from '../graph/job-graph.ts';
import type { JobSpec } from './messages.ts';

export type JobBuilder = (env: StreamEnvironment, args: string[]) => void | Promise<void>;

export class JobModuleError extends BrookError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BROOK_JOB_MODULE', message, options);
  }
}

/** Imports the job module and returns its default export, or says precisely what is wrong with it. */
export async function importJobBuilder(path: string): Promise<JobBuilder> {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new JobModuleError(`job module ${path} does not exist`);
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(absolute).href)) as { default?: unknown };
  } catch (error) {
    throw new JobModuleError(`cannot load job module ${path}: ${(error as Error).message.split('\n')[0]}`, {
      cause: error,
    });
  }
  if (typeof module.default !== 'function') {
    throw new JobModuleError(
      `job module ${path} must export a default function build(env, args) that builds the pipeline`,
    );
  }
  return module.default as JobBuilder;
}

export interface BuiltJob {
  env: StreamEnvironment;
  graph: JobGraph;
}

/** Builds the job of `spec` in a fresh environment configured by its settings. */
export async function buildJob(spec: JobSpec): Promise<BuiltJob> {
  const build = await importJobBuilder(spec.path);
  const env = applyConfiguration(new StreamEnvironment(), makeConfiguration(spec.settings));
  await build(env, spec.args);
  return { env, graph: env.getJobGraph(spec.name) };
}
