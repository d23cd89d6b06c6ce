// The JSON of the cluster endpoints in Flink's shapes: `/overview`
// (ClusterOverviewWithVersion), `/config` (DashboardConfiguration) and
// `/taskmanagers` (TaskManagersInfo).
import type { JobInfo, TaskManagerInfo } from '../jobs-backend.ts';
import { isTerminal } from '../job-status.ts';

export function clusterOverview(jobs: JobInfo[], taskManagers: TaskManagerInfo[], version: string) {
  const count = (predicate: (j: JobInfo) => boolean) => jobs.filter(predicate).length;
  return {
    taskmanagers: taskManagers.length,
    'slots-total': taskManagers.reduce((sum, tm) => sum + tm.slotsNumber, 0),
    'slots-available': taskManagers.reduce((sum, tm) => sum + tm.freeSlots, 0),
    'taskmanagers-blocked': 0,
    'slots-free-and-blocked': 0,
    'jobs-running': count((j) => !isTerminal(j.state)),
    'jobs-finished': count((j) => j.state === 'FINISHED'),
    'jobs-cancelled': count((j) => j.state === 'CANCELED'),
    'jobs-failed': count((j) => j.state === 'FAILED'),
    'flink-version': version,
    'flink-commit': '',
    'brook-version': version,
  };
}

export function dashboardConfiguration(version: string, now: Date) {
  return {
    'refresh-interval': 3000,
    'timezone-name': Intl.DateTimeFormat().resolvedOptions().timeZone,
    'timezone-offset': -now.getTimezoneOffset() * 60_000,
    'flink-version': version,
    'flink-revision': '',
    features: { 'web-submit': false, 'web-cancel': true, 'web-rescale': false, 'web-history': false },
  };
}

function portOf(address: string): number {
  const port = Number(/:(\d+)$/.exec(address)?.[1]);
  return Number.isInteger(port) ? port : -1;
}

/** `timeSinceLastHeartbeat` carries the time of the last heartbeat (epoch ms), as in Flink despite its name. */
export function taskManagersInfo(taskManagers: TaskManagerInfo[]) {
  return {
    taskmanagers: taskManagers.map((tm) => ({
      id: tm.id,
      path: tm.dataAddress,
      dataPort: portOf(tm.dataAddress),
      jmxPort: -1,
      timeSinceLastHeartbeat: tm.lastHeartbeat,
      slotsNumber: tm.slotsNumber,
      freeSlots: tm.freeSlots,
      blocked: false,
    })),
  };
}
