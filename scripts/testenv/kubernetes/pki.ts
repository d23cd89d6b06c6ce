// The control plane's credentials, made afresh with openssl at every start: a
// CA, the apiserver's serving certificate, client certificates for the admin
// and the controller-manager, and the service-account signing keypair.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from '../exec.ts';

export interface ControlPlanePki {
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  adminCert: string;
  adminKey: string;
  controllerManagerCert: string;
  controllerManagerKey: string;
  serviceAccountKey: string;
  serviceAccountPublicKey: string;
}

/** Names a client inside the cluster could use for the apiserver, and the 'kubernetes' Service's first IP. */
const apiserverNames = [
  'IP:127.0.0.1',
  'DNS:localhost',
  'IP:10.0.0.1',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
];

// Go's verifier wants a real CA (basicConstraints, keyCertSign) and usage-specific leaves.
const opensslConfig = `[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
authorityKeyIdentifier = keyid
subjectAltName = ${apiserverNames.join(', ')}
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
`;

// P-256 keys: generated in milliseconds, accepted for TLS and for service-account tokens (ES256).
const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
const days = ['-days', '365'];

export async function createPki(dir: string, logFile: string): Promise<ControlPlanePki> {
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'openssl.cnf');
  writeFileSync(config, opensslConfig);
  const file = (name: string) => join(dir, name);
  const openssl = (args: string[]) => runTool('kubernetes', 'openssl', args, { logFile });

  // prettier-ignore
  await openssl([
    'req', '-x509', '-config', config, '-extensions', 'ca', ...newKey, ...days,
    '-subj', '/CN=brook-testenv-ca', '-keyout', file('ca.key'), '-out', file('ca.crt'),
  ]);

  const signed = async (name: string, subject: string, extensions: 'server' | 'client') => {
    // prettier-ignore
    await openssl([
      'req', '-new', '-config', config, ...newKey,
      '-subj', subject, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`),
    ]);
    // prettier-ignore
    await openssl([
      'x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
      '-set_serial', `0x${randomBytes(8).toString('hex')}`, ...days,
      '-extfile', config, '-extensions', extensions, '-out', file(`${name}.crt`),
    ]);
  };
  await signed('apiserver', '/CN=kube-apiserver', 'server');
  // system:masters is the group RBAC always allows; the controller-manager's user has its bootstrap ClusterRole.
  await signed('admin', '/O=system:masters/CN=brook-admin', 'client');
  await signed('controller-manager', '/CN=system:kube-controller-manager', 'client');

  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file('sa.key')]);
  await openssl(['pkey', '-in', file('sa.key'), '-pubout', '-out', file('sa.pub')]);

  return {
    caCert: file('ca.crt'),
    caKey: file('ca.key'),
    apiserverCert: file('apiserver.crt'),
    apiserverKey: file('apiserver.key'),
    adminCert: file('admin.crt'),
    adminKey: file('admin.key'),
    controllerManagerCert: file('controller-manager.crt'),
    controllerManagerKey: file('controller-manager.key'),
    serviceAccountKey: file('sa.key'),
    serviceAccountPublicKey: file('sa.pub'),
  };
}
