// kubeconfig files for the local control plane, with the CA and client
// certificate embedded so that one file is all a client needs.
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';

export interface KubeconfigInput {
  server: string;
  caCert: string;
  clientCert: string;
  clientKey: string;
  user: string;
}

const base64File = (path: string) => readFileSync(path).toString('base64');

export function kubeconfigYaml(input: KubeconfigInput): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'brook-testenv',
        cluster: { server: input.server, 'certificate-authority-data': base64File(input.caCert) },
      },
    ],
    users: [
      {
        name: input.user,
        user: {
          'client-certificate-data': base64File(input.clientCert),
          'client-key-data': base64File(input.clientKey),
        },
      },
    ],
    contexts: [{ name: 'brook-testenv', context: { cluster: 'brook-testenv', user: input.user } }],
    'current-context': 'brook-testenv',
  });
}
