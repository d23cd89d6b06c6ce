// One job: its state and times, the savepoint and cancel buttons (calling the
// REST API as `brook savepoint|cancel` does), the job graph with live figures,
// the vertices table, checkpoints and exceptions.
import { ApiError, getJson, patch, pollUntil, postJson } from './api.js';
import { renderCheckpoints } from './checkpoints.js';
import { renderGraph } from './graph.js';
import {
  backpressureClass,
  fill,
  formatCount,
  formatDuration,
  formatRate,
  formatTime,
  formatWatermark,
  h,
  stateBadge,
  table,
} from './views.js';

const RATES = 'numRecordsInPerSecond,numRecordsOutPerSecond,currentInputWatermark,currentOutputWatermark';

/** Each vertex's figures for the graph and the table: its sums, rates, backpressure and low watermark. */
async function vertexFigures(job) {
  const base = `/jobs/${job.jid}/vertices`;
  const sources = new Set(job.plan.nodes.filter((n) => (n.inputs ?? []).length === 0).map((n) => n.id));
  const entries = await Promise.all(
    job.vertices.map(async (vertex) => {
      const id = encodeURIComponent(vertex.id);
      const [aggregated, pressure] = await Promise.all([
        getJson(`${base}/${id}/subtasks/metrics?get=${RATES}&agg=sum,min`),
        getJson(`${base}/${id}/backpressure`),
      ]);
      const value = (name, agg) => aggregated.find((m) => m.id === name)?.[agg];
      const subtasks = pressure.subtasks ?? [];
      const mean = (field) => (subtasks.length ? subtasks.reduce((a, s) => a + s[field], 0) / subtasks.length : 0);
      return [
        vertex.id,
        {
          status: vertex.status,
          inRate: value('numRecordsInPerSecond', 'sum'),
          outRate: value('numRecordsOutPerSecond', 'sum'),
          readRecords: vertex.metrics['read-records'],
          writeRecords: vertex.metrics['write-records'],
          level: pressure['backpressure-level'],
          ratio: Math.max(0, ...subtasks.map((s) => s.ratio)),
          busy: mean('busyRatio'),
          // A source has no input: its watermark is the one it emits.
          watermark: value(sources.has(vertex.id) ? 'currentOutputWatermark' : 'currentInputWatermark', 'min'),
        },
      ];
    }),
  );
  return new Map(entries);
}

function verticesTable(job, figures) {
  return table(
    [
      'Name',
      'Status',
      'Parallelism',
      'Records Received',
      'Records Sent',
      'In',
      'Out',
      'Backpressure',
      'Busy',
      'Watermark',
    ],
    job.vertices.map((v) => {
      const f = figures.get(v.id) ?? {};
      return h(
        'tr',
        { class: 'vertex-row', 'data-vertex-id': v.id },
        h('td', {}, v.name),
        h('td', {}, stateBadge(v.status)),
        h('td', {}, String(v.parallelism)),
        h('td', { class: 'num records-in' }, formatCount(v.metrics['read-records'])),
        h('td', { class: 'num records-out' }, formatCount(v.metrics['write-records'])),
        h('td', { class: 'num' }, formatRate(f.inRate)),
        h('td', { class: 'num' }, formatRate(f.outRate)),
        h('td', {}, h('span', { class: `badge ${backpressureClass(f.level)}` }, (f.level ?? 'ok').toUpperCase())),
        h('td', { class: 'num' }, `${Math.round((f.busy ?? 0) * 100)}%`),
        h('td', {}, formatWatermark(f.watermark)),
      );
    }),
    { class: 'vertices' },
  );
}

function renderExceptions(section, exceptions) {
  const entries = exceptions.exceptionHistory?.entries ?? [];
  fill(
    section,
    h('h2', {}, 'Exceptions'),
    entries.length === 0
      ? h('p', { class: 'muted' }, 'No exceptions: the job has not failed.')
      : [
          h('h3', {}, 'Root Exception'),
          h('pre', { class: 'stacktrace root-exception' }, exceptions['root-exception'] ?? ''),
          h('h3', {}, 'Exception History'),
          entries.map((e) =>
            h(
              'details',
              { class: 'exception' },
              h(
                'summary',
                {},
                `${formatTime(e.timestamp)} · ${e.exceptionName}: ${e.message}`,
                e.taskName ? ` · ${e.taskName}` : '',
                e.location ? ` · ${e.location}` : '',
              ),
              h('pre', { class: 'stacktrace' }, e.stacktrace),
            ),
          ),
        ],
  );
}

/** The savepoint and cancel controls; their results stay on screen across updates. */
function actions(jobId, getState) {
  const result = h('div', { class: 'action-result', id: 'action-result', role: 'status' });
  const target = h('input', {
    id: 'savepoint-target',
    type: 'text',
    placeholder: 'target directory (default: state.savepoints.dir)',
    size: 44,
  });
  const say = (kind, ...content) => {
    result.className = `action-result ${kind}`;
    fill(result, ...content);
  };
  const savepoint = h('button', { id: 'trigger-savepoint', type: 'button' }, 'Trigger Savepoint');
  let inFlight = false;
  savepoint.addEventListener('click', async () => {
    inFlight = savepoint.disabled = true;
    say('pending', 'Savepoint in progress…');
    try {
      const body = { 'cancel-job': false };
      if (target.value.trim()) body['target-directory'] = target.value.trim();
      const { 'request-id': triggerId } = await postJson(`/jobs/${jobId}/savepoints`, body);
      const done = await pollUntil(
        () => getJson(`/jobs/${jobId}/savepoints/${triggerId}`),
        (r) => r.status.id === 'COMPLETED',
      );
      const failure = done.operation['failure-cause'];
      if (failure) say('failed', `Savepoint failed: ${failure.message ?? failure.class}`);
      else say('completed', 'Savepoint completed: ', h('code', { class: 'savepoint-path' }, done.operation.location));
    } catch (error) {
      say('failed', `Savepoint failed: ${error instanceof ApiError ? error.message : String(error)}`);
    } finally {
      inFlight = false;
      savepoint.disabled = getState() !== 'RUNNING';
    }
  });
  const cancel = h('button', { id: 'cancel-job', type: 'button', class: 'danger' }, 'Cancel Job');
  const confirm = h('span', { class: 'confirm', hidden: true });
  const yes = h('button', { id: 'confirm-cancel', type: 'button', class: 'danger' }, 'Yes, cancel');
  const no = h('button', { type: 'button' }, 'No');
  confirm.append('Cancel this job? ', yes, ' ', no);
  cancel.addEventListener('click', () => (confirm.hidden = false));
  no.addEventListener('click', () => (confirm.hidden = true));
  yes.addEventListener('click', async () => {
    confirm.hidden = true;
    try {
      await patch(`/jobs/${jobId}?mode=cancel`);
      say('completed', 'Cancellation requested.');
    } catch (error) {
      say('failed', `Cancel failed: ${error.message}`);
    }
  });
  const element = h('div', { class: 'actions' }, savepoint, target, cancel, confirm, result);
  return {
    element,
    /** Buttons follow the job's state: a savepoint needs a running job, cancel a job not ended. */
    sync(state) {
      savepoint.disabled = inFlight || state !== 'RUNNING';
      cancel.disabled = ['FINISHED', 'CANCELED', 'FAILED', 'SUSPENDED', 'CANCELLING'].includes(state);
    },
  };
}

/** The view of job `jobId` in `main`; built once, its sections refreshed at every update. */
export function jobView(main, jobId) {
  let state = 'CREATED';
  const header = h('section', { class: 'job-header' });
  const controls = actions(jobId, () => state);
  const graph = h('section', { class: 'graph-section' });
  const vertices = h('section', { class: 'vertices-section' });
  const checkpoints = h('section', { class: 'checkpoints-section' });
  const exceptions = h('section', { class: 'exceptions-section' });
  let built = false;
  let lastExceptions = '';
  return {
    async update() {
      let job;
      try {
        job = await getJson(`/jobs/${jobId}`);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) {
          fill(main, h('h1', {}, 'Job not found'), h('p', {}, error.message));
          built = false;
          return;
        }
        throw error;
      }
      const [stats, failures, figures] = await Promise.all([
        getJson(`/jobs/${jobId}/checkpoints`),
        getJson(`/jobs/${jobId}/exceptions`),
        vertexFigures(job),
      ]);
      if (!built) {
        fill(main, header, controls.element, graph, vertices, checkpoints, exceptions);
        built = true;
      }
      state = job.state;
      fill(
        header,
        h('h1', {}, job.name, ' ', h('span', { id: 'job-state' }, stateBadge(job.state))),
        h(
          'div',
          { class: 'facts' },
          h('div', { class: 'fact' }, h('span', { class: 'muted' }, 'Job ID: '), job.jid),
          h('div', { class: 'fact' }, h('span', { class: 'muted' }, 'Start: '), formatTime(job['start-time'])),
          h('div', { class: 'fact' }, h('span', { class: 'muted' }, 'Duration: '), formatDuration(job.duration)),
          h('div', { class: 'fact' }, h('span', { class: 'muted' }, 'Restarts: '), String(job.restarts ?? 0)),
        ),
      );
      controls.sync(job.state);
      fill(graph, h('h2', {}, 'Job Graph'), h('div', { class: 'graph-scroll' }, renderGraph(job.plan, figures)));
      fill(vertices, h('h2', {}, 'Vertices'), verticesTable(job, figures));
      renderCheckpoints(checkpoints, stats);
      // Rebuilt only when they change: an opened stack trace stays open.
      const text = JSON.stringify(failures.exceptionHistory);
      if (text !== lastExceptions) {
        renderExceptions(exceptions, failures);
        lastExceptions = text;
      }
    },
  };
}
