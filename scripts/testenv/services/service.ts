// What testenv needs to know about one real service: how to install it into
// the cache, how to launch it, and how to tell that it answers.
import type { LaunchSpec } from '../process.ts';

export interface InstallContext {
  /** This service's versioned folder under the brook cache. */
  cacheRoot: string;
  /** Where install tools write their output. */
  installLog: string;
}

export interface LaunchContext {
  /** A fresh temporary directory for this run's data. */
  dataDir: string;
}

export interface ServiceDefinition<Installed = unknown> {
  name: string;
  /** Ports the service must own on 127.0.0.1; the first one is its main port. */
  ports: number[];
  /** Installs (when missing) and returns what launching needs. Idempotent and cached. */
  install(context: InstallContext): Promise<Installed>;
  /** Builds the command line; may write configuration or format storage in `dataDir`. */
  launch(installed: Installed, context: LaunchContext): Promise<LaunchSpec>;
  /** A substring of the launched command line, to recognise the process by pid later. */
  processMarker: string;
  /** One client-level round trip; throws when the service does not answer yet. */
  probe(): Promise<void>;
  readyTimeoutMs: number;
}
