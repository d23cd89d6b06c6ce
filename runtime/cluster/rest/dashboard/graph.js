// The job graph as an SVG picture, as Flink's dashboard draws it: one box per
// job vertex (its chained operators) laid out left to right by depth, edges
// labelled with their partitioning, each box with its records per second,
// backpressure (as its colour) and watermark.
import { formatCount, formatRate, formatWatermark, h } from './views.js';

const WIDTH = 250;
const HEIGHT = 112;
const GAP_X = 110;
const GAP_Y = 36;
const MARGIN = 20;

/** Each node's depth: 0 for a source, else one more than its deepest input. */
function layers(nodes) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depth = new Map();
  const visit = (node, seen) => {
    if (depth.has(node.id)) return depth.get(node.id);
    if (seen.has(node.id)) return 0; // a cycle (iterations): break it
    seen.add(node.id);
    const inputs = (node.inputs ?? []).map((i) => byId.get(i.id)).filter(Boolean);
    const d = inputs.length === 0 ? 0 : 1 + Math.max(...inputs.map((i) => visit(i, seen)));
    depth.set(node.id, d);
    return d;
  };
  for (const node of nodes) visit(node, new Set());
  return depth;
}

/** Where each node's box goes. */
function layout(nodes) {
  const depth = layers(nodes);
  const columns = [];
  for (const node of nodes) (columns[depth.get(node.id)] ??= []).push(node);
  const rows = Math.max(1, ...columns.map((c) => c.length));
  const height = MARGIN * 2 + rows * HEIGHT + (rows - 1) * GAP_Y;
  const positions = new Map();
  columns.forEach((column, c) => {
    const used = column.length * HEIGHT + (column.length - 1) * GAP_Y;
    column.forEach((node, r) => {
      positions.set(node.id, {
        x: MARGIN + c * (WIDTH + GAP_X),
        y: (height - used) / 2 + r * (HEIGHT + GAP_Y),
      });
    });
  });
  return { positions, width: MARGIN * 2 + columns.length * WIDTH + (columns.length - 1) * GAP_X, height };
}

const truncate = (text, max) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function edge(from, to, strategy) {
  const x1 = from.x + WIDTH;
  const y1 = from.y + HEIGHT / 2;
  const x2 = to.x;
  const y2 = to.y + HEIGHT / 2;
  const mid = (x1 + x2) / 2;
  const labelWidth = strategy.length * 7 + 12;
  return h(
    'svg:g',
    { class: 'edge' },
    h('svg:path', { d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2 - 4},${y2}`, 'marker-end': 'url(#arrow)' }),
    h('svg:rect', {
      class: 'edge-label-bg',
      x: mid - labelWidth / 2,
      y: (y1 + y2) / 2 - 10,
      width: labelWidth,
      height: 18,
      rx: 4,
    }),
    h('svg:text', { class: 'edge-label', x: mid, y: (y1 + y2) / 2 + 3, 'text-anchor': 'middle' }, strategy),
  );
}

function vertexBox(node, position, figures) {
  const f = figures ?? {};
  const level = f.level ?? 'ok';
  const lines = [
    `Parallelism: ${node.parallelism}${f.status ? ` · ${f.status}` : ''}`,
    `In: ${formatRate(f.inRate)}  Out: ${formatRate(f.outRate)}`,
    `Received ${formatCount(f.readRecords)} · Sent ${formatCount(f.writeRecords)}`,
    `Backpressure: ${level.toUpperCase()} (${Math.round((f.ratio ?? 0) * 100)}%) · Busy ${Math.round((f.busy ?? 0) * 100)}%`,
    `Watermark: ${formatWatermark(f.watermark)}`,
  ];
  return h(
    'svg:g',
    {
      class: `vertex bp-${level}`,
      transform: `translate(${position.x},${position.y})`,
      'data-vertex-id': node.id,
      'data-records-in': f.readRecords ?? 0,
      'data-records-out': f.writeRecords ?? 0,
      'data-backpressure': level,
    },
    h('svg:title', {}, `${node.description}\n${(node.operators ?? []).join(' → ')}`),
    h('svg:rect', { class: 'vertex-box', width: WIDTH, height: HEIGHT, rx: 6 }),
    h('svg:text', { class: 'vertex-name', x: 10, y: 20 }, truncate(node.description, 34)),
    lines.map((line, i) => h('svg:text', { class: 'vertex-line', x: 10, y: 40 + i * 16 }, line)),
  );
}

/**
 * The graph of `plan` (Flink's JobPlanInfo), with `figures` by vertex id:
 * { inRate, outRate, readRecords, writeRecords, level, ratio, busy, watermark, status }.
 */
export function renderGraph(plan, figures) {
  const { positions, width, height } = layout(plan.nodes);
  const edges = plan.nodes.flatMap((node) =>
    (node.inputs ?? [])
      .filter((input) => positions.has(input.id))
      .map((input) => edge(positions.get(input.id), positions.get(node.id), input.ship_strategy)),
  );
  return h(
    'svg:svg',
    { class: 'job-graph', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'job graph' },
    h(
      'svg:defs',
      {},
      h(
        'svg:marker',
        { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto' },
        h('svg:path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' }),
      ),
    ),
    edges,
    plan.nodes.map((node) => vertexBox(node, positions.get(node.id), figures.get(node.id))),
  );
}
