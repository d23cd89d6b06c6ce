// The dashboard's entry: hash routes (#/ overview, #/jobs/ID a job,
// #/taskmanagers), and live updates by polling the REST API at Flink's
// refresh interval (/config; `?refresh=MS` in the page's address overrides it).
import { getJson } from './api.js';
import { jobView } from './job.js';
import { fill, formatDuration, formatTime, h, stateBadge, table } from './views.js';

const main = document.getElementById('main');
const connection = document.getElementById('connection');
let refreshMs = Number(new URLSearchParams(location.search).get('refresh')) || 0;
/** The view on screen: `update()` is called at every tick until the route changes. */
let current;
let timer;

function jobsTable(jobs) {
  return table(
    ['Job Name', 'Start Time', 'Duration', 'End Time', 'Tasks', 'Status'],
    jobs.map((job) =>
      h(
        'tr',
        { class: 'job-row', 'data-job-id': job.jid },
        h('td', {}, h('a', { href: `#/jobs/${job.jid}` }, job.name), h('div', { class: 'muted small' }, job.jid)),
        h('td', {}, formatTime(job['start-time'])),
        h('td', {}, formatDuration(job.duration)),
        h('td', {}, formatTime(job['end-time'])),
        h('td', {}, `${job.tasks.running} running / ${job.tasks.total}`),
        h('td', {}, stateBadge(job.state)),
      ),
    ),
    { class: 'jobs' },
  );
}

function taskManagersTable(taskManagers) {
  return table(
    ['ID', 'Data Address', 'Slots', 'Free Slots', 'Last Heartbeat'],
    taskManagers.map((tm) => [
      tm.id,
      tm.path,
      String(tm.slotsNumber),
      String(tm.freeSlots),
      formatTime(tm.timeSinceLastHeartbeat),
    ]),
    { class: 'taskmanagers' },
  );
}

function overviewView() {
  return {
    async update() {
      const [overview, jobs, tms] = await Promise.all([
        getJson('/overview'),
        getJson('/jobs/overview'),
        getJson('/taskmanagers'),
      ]);
      const tile = (label, value) => h('div', { class: 'tile' }, h('div', { class: 'tile-value' }, value), label);
      fill(
        main,
        h('h1', {}, 'Overview'),
        h(
          'div',
          { class: 'tiles' },
          tile('Task Managers', String(overview.taskmanagers)),
          tile('Available Task Slots', `${overview['slots-available']} / ${overview['slots-total']}`),
          tile('Running Jobs', String(overview['jobs-running'])),
          tile('Finished', String(overview['jobs-finished'])),
          tile('Canceled', String(overview['jobs-cancelled'])),
          tile('Failed', String(overview['jobs-failed'])),
        ),
        h('h2', {}, 'Jobs'),
        jobsTable(jobs.jobs),
        h('h2', {}, 'Task Managers'),
        taskManagersTable(tms.taskmanagers),
      );
    },
  };
}

function taskManagersView() {
  return {
    async update() {
      const tms = await getJson('/taskmanagers');
      fill(main, h('h1', {}, 'Task Managers'), taskManagersTable(tms.taskmanagers));
    },
  };
}

function route() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const job = /^\/jobs\/([0-9a-f]{32})$/.exec(hash);
  if (job) return jobView(main, job[1]);
  if (hash === '/taskmanagers') return taskManagersView();
  return overviewView();
}

async function tick() {
  clearTimeout(timer);
  const view = current;
  try {
    await view.update();
    connection.className = 'connection ok';
    connection.textContent = 'live';
  } catch (error) {
    connection.className = 'connection down';
    connection.textContent = `unreachable: ${error.message}`;
  }
  if (view === current) timer = setTimeout(tick, refreshMs);
}

window.addEventListener('hashchange', () => {
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  current = route();
  void tick();
});

async function start() {
  try {
    const config = await getJson('/config');
    refreshMs ||= config['refresh-interval'];
    document.getElementById('version').textContent = `Version ${config['flink-version']}`;
  } catch {
    refreshMs ||= 3000;
  }
  current = route();
  await tick();
}

void start();
