// A local Kubernetes control plane: etcd, kube-apiserver (TLS, RBAC,
// service-account tokens) and kube-controller-manager, built from source
// through the Go module proxy (../kubernetes/build.ts) and run as one
// supervised process group (../kubernetes/control-plane.ts). No kubelet here:
// pods stay Pending unless a test starts e2e/cluster's process kubelet.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandExists } from '../exec.ts';
import { TestenvError } from '../errors.ts';
import { endpoints } from '../endpoints.ts';
import { logsDir, serviceDataDir } from '../paths.ts';
import { installControlPlane, type ControlPlaneBinaries } from '../kubernetes/build.ts';
import type { ControlPlanePlan } from '../kubernetes/control-plane.ts';
import { checkHealth, type HealthCheck } from '../kubernetes/health.ts';
import { kubeconfigYaml } from '../kubernetes/kubeconfig.ts';
import { createPki } from '../kubernetes/pki.ts';
import {
  ETCD_CLIENT_PORT,
  ETCD_PEER_PORT,
  KUBE_APISERVER_PORT,
  KUBE_CONTROLLER_MANAGER_PORT,
} from '../kubernetes/versions.ts';
import type { ServiceDefinition } from './service.ts';

const controlPlaneScript = join(import.meta.dirname, '..', 'kubernetes', 'control-plane.ts');
const server = endpoints.kubernetes.server;

function pkiDir(dataDir: string): string {
  return join(dataDir, 'pki');
}

/** Ready means what a client needs: the apiserver's /readyz through the admin certificate, and the controllers running. */
function healthChecks(dataDir: string): { apiserver: HealthCheck; controllerManager: HealthCheck } {
  const pki = pkiDir(dataDir);
  return {
    apiserver: {
      url: `${server}/readyz`,
      ca: join(pki, 'ca.crt'),
      cert: join(pki, 'admin.crt'),
      key: join(pki, 'admin.key'),
      expect: 'ok',
    },
    controllerManager: {
      url: `https://127.0.0.1:${KUBE_CONTROLLER_MANAGER_PORT}/healthz`,
      insecure: true,
      expect: 'ok',
    },
  };
}

function etcdArgs(dataDir: string): string[] {
  const client = `http://127.0.0.1:${ETCD_CLIENT_PORT}`;
  const peer = `http://127.0.0.1:${ETCD_PEER_PORT}`;
  return [
    '--name=brook-testenv',
    `--data-dir=${join(dataDir, 'etcd')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=brook-testenv=${peer}`,
    // Test data is thrown away at every start; fsync would only slow the apiserver down (envtest does the same).
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

export const kubernetes: ServiceDefinition<ControlPlaneBinaries> = {
  name: 'kubernetes',
  ports: [KUBE_APISERVER_PORT, KUBE_CONTROLLER_MANAGER_PORT, ETCD_CLIENT_PORT, ETCD_PEER_PORT],
  processMarker: 'kubernetes/control-plane.ts',
  readyTimeoutMs: 180_000,

  async install({ cacheRoot, installLog }) {
    if (!(await commandExists('openssl'))) {
      throw new TestenvError('kubernetes', "'openssl' is not on PATH; install Debian's openssl package");
    }
    return installControlPlane(cacheRoot, installLog);
  },

  async launch(binaries, { dataDir }) {
    const pki = await createPki(pkiDir(dataDir), join(dataDir, 'pki.log'));
    writeFileSync(
      endpoints.kubernetes.kubeconfig,
      kubeconfigYaml({
        server,
        caCert: pki.caCert,
        clientCert: pki.adminCert,
        clientKey: pki.adminKey,
        user: 'brook-admin',
      }),
    );
    const controllerManagerKubeconfig = join(dataDir, 'controller-manager.kubeconfig');
    writeFileSync(
      controllerManagerKubeconfig,
      kubeconfigYaml({
        server,
        caCert: pki.caCert,
        clientCert: pki.controllerManagerCert,
        clientKey: pki.controllerManagerKey,
        user: 'system:kube-controller-manager',
      }),
    );
    for (const dir of ['apiserver', 'controller-manager']) mkdirSync(join(dataDir, dir));
    const checks = healthChecks(dataDir);
    const logFile = (component: string) => join(logsDir(), `kubernetes-${component}.log`);

    const plan: ControlPlanePlan = {
      componentTimeoutMs: 120_000,
      components: [
        {
          name: 'etcd',
          command: binaries.etcd,
          args: etcdArgs(dataDir),
          logFile: logFile('etcd'),
          health: { url: `http://127.0.0.1:${ETCD_CLIENT_PORT}/health`, expect: '"health":"true"' },
        },
        {
          name: 'kube-apiserver',
          command: binaries.kubeApiserver,
          args: [
            `--etcd-servers=http://127.0.0.1:${ETCD_CLIENT_PORT}`,
            '--bind-address=127.0.0.1',
            `--secure-port=${KUBE_APISERVER_PORT}`,
            // Without an explicit address the apiserver picks the default route's interface
            // (and fails where there is none). Loopback is not a valid Endpoints address, so
            // the 'kubernetes' Service gets no endpoints; nothing here routes ClusterIPs anyway.
            '--advertise-address=127.0.0.1',
            '--endpoint-reconciler-type=none',
            `--cert-dir=${join(dataDir, 'apiserver')}`,
            `--tls-cert-file=${pki.apiserverCert}`,
            `--tls-private-key-file=${pki.apiserverKey}`,
            `--client-ca-file=${pki.caCert}`,
            '--authorization-mode=Node,RBAC',
            '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
            `--service-account-key-file=${pki.serviceAccountPublicKey}`,
            `--service-account-signing-key-file=${pki.serviceAccountKey}`,
            '--service-cluster-ip-range=10.0.0.0/24',
            '--allow-privileged=true',
            // Fewer background goroutines on a 2-core machine; tests do not exercise fairness.
            '--enable-priority-and-fairness=false',
            '--profiling=false',
          ],
          logFile: logFile('apiserver'),
          health: checks.apiserver,
        },
        {
          name: 'kube-controller-manager',
          command: binaries.kubeControllerManager,
          args: [
            `--kubeconfig=${controllerManagerKubeconfig}`,
            '--bind-address=127.0.0.1',
            `--secure-port=${KUBE_CONTROLLER_MANAGER_PORT}`,
            `--cert-dir=${join(dataDir, 'controller-manager')}`,
            '--leader-elect=false',
            // Each controller acts as its own service account, so RBAC applies to them as in a real cluster.
            '--use-service-account-credentials=true',
            `--service-account-private-key-file=${pki.serviceAccountKey}`,
            `--root-ca-file=${pki.caCert}`,
            `--cluster-signing-cert-file=${pki.caCert}`,
            `--cluster-signing-key-file=${pki.caKey}`,
            '--profiling=false',
          ],
          logFile: logFile('controller-manager'),
          health: checks.controllerManager,
        },
      ],
    };
    const planFile = join(dataDir, 'control-plane.json');
    writeFileSync(planFile, JSON.stringify(plan, null, 2));
    return {
      command: process.execPath,
      args: ['--import', import.meta.resolve('tsx'), controlPlaneScript, planFile],
    };
  },

  async probe() {
    const checks = healthChecks(serviceDataDir('kubernetes'));
    await checkHealth(checks.apiserver);
    await checkHealth(checks.controllerManager);
  },
};
