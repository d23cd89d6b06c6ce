// What tests import: make sure the real services they need are running, and
// where to reach them.
import { up } from './environment.ts';
import type { ServiceName } from './services/index.ts';

export { endpoints, endpointEnvironment } from './endpoints.ts';
export type { ServiceName } from './services/index.ts';

/**
 * Starts the named services through testenv unless they already answer.
 * `npm test` brings every service up first, so inside the suite this is a quick check.
 */
export async function ensureServices(...names: ServiceName[]): Promise<void> {
  await up(names);
}
