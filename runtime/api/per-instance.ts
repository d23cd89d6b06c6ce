// Each parallel instance gets its own copy of a user function object, as each
// Flink subtask deserialises its own: fields set in open() are never shared.

export function perInstance<F>(fn: F): F {
  if (typeof fn !== 'object' || fn === null) return fn;
  const prototype = Object.getPrototypeOf(fn) as object | null;
  const constructor = (prototype as { constructor?: unknown } | null)?.constructor;
  // An instance of a class whose constructor takes no arguments is made anew, so that its
  // #private fields exist on the copy too (a prototype copy would not have them); then the
  // original's own fields are copied over, as for plain objects.
  if (typeof constructor === 'function' && constructor !== Object && constructor.length === 0) {
    const fresh = new (constructor as new () => object)();
    return Object.assign(fresh, fn);
  }
  return Object.assign(Object.create(prototype) as object, fn);
}
