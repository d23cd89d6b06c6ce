// Test-only: `brook operator` as its own process (until cli/main.ts routes
// the command): the flags of cli/operator-command.ts, parsed the same way.
import { parseArgs } from 'node:util';
import { operatorFlags, operatorFlagsSchema, runOperator } from '../../../cli/operator-command.ts';

const { values } = parseArgs({
  options: Object.fromEntries(Object.entries(operatorFlags).map(([name, spec]) => [name, { type: spec.type }])),
  strict: true,
});
process.exitCode = await runOperator(operatorFlagsSchema.parse(values));
