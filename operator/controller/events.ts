// Kubernetes Events on a StreamDeployment (or StreamSnapshot) for every transition decide()
// reports (Submit, SpecChanged, SavepointError, ...), as `kubectl describe`
// shows them. Recording an Event never fails a reconcile.
import type { Logger } from 'pino';
import type { CoreV1Event } from '@kubernetes/client-node';
import { apiVersion } from '../resource/stream-deployment.ts';
import type { OperatorEvent } from '../reconcile/action.ts';
import type { KubeApi } from './kube-api.ts';

export interface EventSubject {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion?: string;
  /** Default StreamDeployment. */
  kind?: 'StreamDeployment' | 'StreamSnapshot';
}

export class EventRecorder {
  constructor(
    private readonly api: KubeApi,
    /** This operator replica, for reportingInstance. */
    private readonly instance: string,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  async record(subject: EventSubject, event: OperatorEvent | EventLike, log: Logger): Promise<void> {
    const now = new Date();
    const body: CoreV1Event = {
      metadata: { generateName: `${subject.name}.`, namespace: subject.namespace },
      involvedObject: {
        apiVersion,
        kind: subject.kind ?? 'StreamDeployment',
        name: subject.name,
        namespace: subject.namespace,
        uid: subject.uid,
        ...(subject.resourceVersion !== undefined ? { resourceVersion: subject.resourceVersion } : {}),
      },
      type: event.type,
      reason: event.reason,
      // The API server refuses messages over 1 KiB.
      message: event.message.length > 1024 ? `${event.message.slice(0, 1021)}...` : event.message,
      source: { component: 'brook-operator' },
      reportingComponent: 'brook.dev/operator',
      reportingInstance: this.instance,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await this.api.createEvent(subject.namespace, body);
    } catch (error) {
      this.onError(error);
      log.warn({ err: error, reason: event.reason }, 'cannot record event');
    }
  }
}

/** An event the controller itself records (outside decide()). */
export interface EventLike {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}
