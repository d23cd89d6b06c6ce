// Kubernetes resource quantities ("500m", "2", "1Gi", "128M", "1e3") as numbers,
// for resourceFieldRef environment variables and downward API files.

const suffixes: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export function parseQuantity(text: string | number): number {
  if (typeof text === 'number') return text;
  const match = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(text.trim());
  const factor = match ? suffixes[match[2]!] : undefined;
  if (!match || factor === undefined) throw new Error(`'${text}' is not a resource quantity`);
  return Number(match[1]) * factor;
}

/** What a resourceFieldRef shows: the quantity divided by the divisor, rounded up (the kubelet's rule). */
export function divideQuantity(value: string | number, divisor: string | number | undefined): string {
  const result = parseQuantity(value) / parseQuantity(divisor ?? 1);
  return String(Math.ceil(result - 1e-9));
}
