// Secrets out of printed configuration: values under keys that look secret
// (password, secret, token, credentials, private keys) and the password part
// of URLs (redis://user:password@host) become "***".

export const MASK = '***';

const secretKey = /secret|passw(or)?d|\bpwd\b|token|credential|private[-_]?key|api[-_]?key/i;

/** Whether a value under `key` (in a parent object named `parent`) is a secret. */
export function isSecretKey(key: string, parent?: string): boolean {
  // A TLS `key` is the PEM private key.
  return secretKey.test(key) || (key === 'key' && parent === 'tls');
}

/** `scheme://user:password@host` → `scheme://user:***@host`; other strings unchanged. */
export function maskUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)([^@/\s]+)@/i, `$1${MASK}@`);
}

/** A copy of `value` with every secret masked. */
export function maskSecrets(value: unknown, key?: string, parent?: string): unknown {
  if (key !== undefined && isSecretKey(key, parent) && value !== undefined && value !== null && value !== '')
    return MASK;
  if (typeof value === 'string') return maskUrlPassword(value);
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, undefined, key));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, k, key)]));
  return value;
}
