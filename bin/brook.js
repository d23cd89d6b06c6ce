#!/usr/bin/env node
// The `brook` executable: registers the TypeScript loader (jobs are TypeScript
// modules too) and hands over to cli/main.ts.
import process from 'node:process';
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
