// Each parallel instance gets its own copy of a user function object, as each
// Flink subtask deserialises its own: fields set in open() are never shared.

export function perInstance<F>(fn: F): F {
  if (typeof fn !== 'object' || fn === null) return fn;
  return Object.assign(Object.create(Object.getPrototypeOf(fn) as object) as object, fn);
}
