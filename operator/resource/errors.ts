// Typed errors of the resource layer: a StreamDeployment or StreamSnapshot that
// does not parse, or an operator setting in spec.config that is malformed.
import { BrookError } from '../../runtime/errors.ts';

/** A resource that does not match its schema; the message names every bad field by its path. */
export class ResourceInvalidError extends BrookError {
  constructor(kind: string, name: string, problems: string[]) {
    super('BROOK_RESOURCE_INVALID', `${kind} ${name} is invalid: ${problems.join('; ')}`);
  }
}

/** An operator setting (a `kubernetes.operator.*` key of spec.config) with a value it cannot use. */
export class OperatorSettingInvalidError extends BrookError {
  constructor(
    readonly key: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super('BROOK_OPERATOR_SETTING_INVALID', `spec.config["${key}"] must be ${expected}, got '${value}'`);
  }
}
