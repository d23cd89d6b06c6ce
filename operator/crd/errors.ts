// Typed errors of CRD generation: a schema construct Kubernetes cannot take.
import { BrookError } from '../../runtime/errors.ts';

/** A JSON Schema construct with no structural OpenAPI equivalent, named with its path in the schema. */
export class SchemaNotStructuralError extends BrookError {
  constructor(path: string, problem: string) {
    super('BROOK_SCHEMA_NOT_STRUCTURAL', `schema at ${path || '(root)'} ${problem}`);
  }
}
