// `npm run testenv -- up|down|status|env [service...]`: the developer's handle
// on the real test services (Kafka, S3, Redis, and a Kubernetes control plane).
import { describeCauseChain } from '../../runtime/errors.ts';
import { endpointEnvironment } from './endpoints.ts';
import { down, status, up } from './environment.ts';
import { defaultServiceNames, isServiceName, serviceNames, type ServiceName } from './services/index.ts';

const usage = `usage: testenv <command> [service...]

commands:
  up       install (when missing) and start the services, wait until they answer
  down     stop the services and remove their data
  status   show which services run, their pids and logs
  env      print the services' addresses as shell exports

services: ${serviceNames.join(', ')}
(default: ${defaultServiceNames.join(', ')} for up and env; all for down)`;

function parseServices(args: string[], defaults: ServiceName[]): ServiceName[] {
  const unknown = args.filter((a) => !isServiceName(a));
  if (unknown.length > 0) {
    console.error(`testenv: unknown service '${unknown[0]}' (known: ${serviceNames.join(', ')})`);
    process.exit(2);
  }
  return args.length > 0 ? (args as ServiceName[]) : defaults;
}

// The AWS SDK warns on every client under Node 20; Brook pins a version that supports it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const report = (line: string) => console.log(`testenv: ${line}`);
  switch (command) {
    case 'up': {
      const started = await up(parseServices(rest, defaultServiceNames), report);
      if (started.length === 0) report('all requested services already up');
      return 0;
    }
    case 'down':
      await down(parseServices(rest, serviceNames), report);
      return 0;
    case 'status':
      for (const s of await status()) {
        const detail = s.pid ? ` pid ${s.pid}, log ${s.logFile}` : '';
        console.log(`${s.name.padEnd(10)} ${s.state.padEnd(14)} 127.0.0.1:${s.port}${detail}`);
      }
      return 0;
    case 'env':
      for (const [key, value] of Object.entries(endpointEnvironment(parseServices(rest, defaultServiceNames)))) {
        console.log(`export ${key}=${value}`);
      }
      return 0;
    case undefined:
    case '-h':
    case '--help':
      console.log(usage);
      return command === undefined ? 2 : 0;
    default:
      console.error(`testenv: unknown command '${command}' (see 'testenv --help')`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(describeCauseChain(error));
    process.exit(1);
  },
);
