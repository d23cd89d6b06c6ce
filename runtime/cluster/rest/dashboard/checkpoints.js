// The checkpoints of a job as Flink's dashboard shows them: counts, the
// latest completed and restored, a duration/size chart of the history, and
// the history table.
import { fill, formatBytes, formatDuration, formatTime, h, stateBadge, table } from './views.js';

const CHART_WIDTH = 640;
const CHART_HEIGHT = 170;
const PAD = { left: 64, right: 64, top: 12, bottom: 24 };

/** Bars: end-to-end duration (left axis); dots and line: state size (right axis); oldest left. */
function chart(history) {
  const points = [...history].reverse().filter((c) => c.status !== 'IN_PROGRESS');
  if (points.length === 0) return h('p', { class: 'muted' }, 'No completed or failed checkpoints yet.');
  const innerWidth = CHART_WIDTH - PAD.left - PAD.right;
  const innerHeight = CHART_HEIGHT - PAD.top - PAD.bottom;
  const maxDuration = Math.max(1, ...points.map((c) => c.end_to_end_duration));
  const maxSize = Math.max(1, ...points.map((c) => c.state_size));
  const slot = innerWidth / points.length;
  const barWidth = Math.max(2, Math.min(28, slot * 0.6));
  const x = (i) => PAD.left + slot * i + slot / 2;
  const yDuration = (ms) => PAD.top + innerHeight * (1 - ms / maxDuration);
  const ySize = (bytes) => PAD.top + innerHeight * (1 - bytes / maxSize);
  const sizeLine = points.map((c, i) => `${i === 0 ? 'M' : 'L'}${x(i)},${ySize(c.state_size)}`).join(' ');
  return h(
    'svg:svg',
    {
      class: 'checkpoint-chart',
      width: CHART_WIDTH,
      height: CHART_HEIGHT,
      role: 'img',
      'aria-label': 'checkpoint durations and sizes',
    },
    h('svg:line', {
      class: 'axis',
      x1: PAD.left,
      y1: PAD.top + innerHeight,
      x2: PAD.left + innerWidth,
      y2: PAD.top + innerHeight,
    }),
    h(
      'svg:text',
      { class: 'axis-label duration', x: PAD.left - 6, y: PAD.top + 10, 'text-anchor': 'end' },
      formatDuration(maxDuration),
    ),
    h(
      'svg:text',
      { class: 'axis-label duration', x: PAD.left - 6, y: PAD.top + innerHeight, 'text-anchor': 'end' },
      '0',
    ),
    h('svg:text', { class: 'axis-label size', x: PAD.left + innerWidth + 6, y: PAD.top + 10 }, formatBytes(maxSize)),
    h('svg:text', { class: 'axis-label', x: PAD.left, y: CHART_HEIGHT - 6 }, `#${points[0].id}`),
    h(
      'svg:text',
      { class: 'axis-label', x: PAD.left + innerWidth, y: CHART_HEIGHT - 6, 'text-anchor': 'end' },
      `#${points.at(-1).id}`,
    ),
    points.map((c, i) =>
      h(
        'svg:rect',
        {
          class: `bar ${c.status === 'FAILED' ? 'failed' : 'completed'}`,
          x: x(i) - barWidth / 2,
          y: yDuration(c.end_to_end_duration),
          width: barWidth,
          height: Math.max(1, PAD.top + innerHeight - yDuration(c.end_to_end_duration)),
        },
        h(
          'svg:title',
          {},
          `#${c.id} ${c.status}: ${formatDuration(c.end_to_end_duration)}, ${formatBytes(c.state_size)}`,
        ),
      ),
    ),
    h('svg:path', { class: 'size-line', d: sizeLine }),
    points.map((c, i) => h('svg:circle', { class: 'size-dot', cx: x(i), cy: ySize(c.state_size), r: 3 })),
  );
}

function historyTable(history) {
  return table(
    ['ID', 'Status', 'Type', 'Triggered', 'End to End Duration', 'State Size', 'Path / Failure'],
    history.map((c) =>
      h(
        'tr',
        { class: 'checkpoint-row', 'data-checkpoint-id': c.id },
        h('td', {}, String(c.id)),
        h('td', {}, stateBadge(c.status)),
        h('td', {}, c.is_savepoint ? 'Savepoint' : 'Checkpoint'),
        h('td', {}, formatTime(c.trigger_timestamp)),
        h('td', {}, formatDuration(c.end_to_end_duration)),
        h('td', {}, formatBytes(c.state_size)),
        h('td', { class: 'path' }, c.external_path ?? c.failure_message ?? ''),
      ),
    ),
    { class: 'checkpoint-history' },
  );
}

/** Fills `section` with the checkpoint statistics `stats` (Flink's CheckpointingStatistics). */
export function renderCheckpoints(section, stats) {
  const { counts, latest } = stats;
  const fact = (label, value) => h('div', { class: 'fact' }, h('span', { class: 'muted' }, label), ' ', value);
  fill(
    section,
    h('h2', {}, 'Checkpoints'),
    h(
      'div',
      { class: 'facts checkpoint-counts' },
      fact('Triggered:', String(counts.total)),
      fact('In Progress:', String(counts.in_progress)),
      fact('Completed:', String(counts.completed)),
      fact('Failed:', String(counts.failed)),
      fact('Restored:', String(counts.restored)),
    ),
    h(
      'div',
      { class: 'facts' },
      fact(
        'Latest Completed:',
        latest.completed ? `#${latest.completed.id} ${latest.completed.external_path ?? ''}` : 'none',
      ),
      fact(
        'Latest Savepoint:',
        latest.savepoint ? `#${latest.savepoint.id} ${latest.savepoint.external_path ?? ''}` : 'none',
      ),
      fact('Restored From:', latest.restored ? latest.restored.external_path : 'none'),
    ),
    chart(stats.history),
    historyTable(stats.history),
  );
}
