// One HTTP(S) health request against a control-plane component, with the
// client certificate and CA it needs: the supervisor's start gate and
// testenv's probe.
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HealthCheck {
  url: string;
  /** PEM files: the CA to trust, and a client certificate and key to present. */
  ca?: string;
  cert?: string;
  key?: string;
  /** For a component's self-signed serving certificate (the controller-manager makes its own). */
  insecure?: boolean;
  /** A substring the body must contain (etcd answers 200 with {"health":"false"} when unhealthy). */
  expect: string;
}

export function checkHealth(check: HealthCheck): Promise<void> {
  const url = new URL(check.url);
  const read = (path: string | undefined) => (path ? readFileSync(path) : undefined);
  return new Promise((resolve, reject) => {
    const options = { method: 'GET', timeout: 2000 };
    const onResponse = (response: IncomingMessage) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        if (response.statusCode === 200 && body.includes(check.expect)) resolve();
        else reject(new Error(`${check.url} answered ${response.statusCode}: ${body.trim().slice(0, 300)}`));
      });
    };
    const req =
      url.protocol === 'https:'
        ? httpsRequest(
            url,
            {
              ...options,
              ca: read(check.ca),
              cert: read(check.cert),
              key: read(check.key),
              rejectUnauthorized: !check.insecure,
            },
            onResponse,
          )
        : httpRequest(url, options, onResponse);
    req.once('timeout', () => req.destroy(new Error(`${check.url} did not answer within 2 s`)));
    req.once('error', reject);
    req.end();
  });
}
