// Debian's Chromium for the dashboard's browser tests (`*.browser.test.ts`):
// installed with apt-get when missing, never downloaded by playwright. Not a
// service: each test launches its own headless browser.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from './exec.ts';
import { TestenvError } from './errors.ts';
import { logsDir } from './paths.ts';

/** Where Debian's package puts the browser; tests launch it from here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The file-name suffix of the tests that drive Chromium. */
export const BROWSER_TEST_SUFFIX = '.browser.test.ts';

const aptEnvironment = { DEBIAN_FRONTEND: 'noninteractive' };

/** Installs Debian's `chromium` package unless it is there already. Idempotent. */
export async function ensureChromium(report: (line: string) => void): Promise<string> {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (process.getuid?.() !== 0) {
    throw new TestenvError('chromium', `${CHROMIUM_PATH} is missing; install Debian's chromium package (needs root)`);
  }
  mkdirSync(logsDir(), { recursive: true });
  const installLog = join(logsDir(), 'chromium-install.log');
  report(`installing Debian's chromium package (log: ${installLog})`);
  const install = ['install', '-y', '-q', '--no-install-recommends', 'chromium'];
  try {
    await runTool('chromium', 'apt-get', install, { logFile: installLog, env: aptEnvironment });
  } catch {
    // A fresh machine has no package lists yet.
    await runTool('chromium', 'apt-get', ['update', '-q'], { logFile: installLog, env: aptEnvironment });
    await runTool('chromium', 'apt-get', install, { logFile: installLog, env: aptEnvironment });
  }
  if (!existsSync(CHROMIUM_PATH)) {
    throw new TestenvError('chromium', `the chromium package installed no ${CHROMIUM_PATH}`, { logFile: installLog });
  }
  return CHROMIUM_PATH;
}

/** Whether any of these test files drives a browser. */
export function needsChromium(files: readonly string[]): boolean {
  return files.some((file) => file.endsWith(BROWSER_TEST_SUFFIX));
}
