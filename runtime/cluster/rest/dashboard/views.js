// Small DOM and formatting helpers of the dashboard: an element builder,
// tables, and Flink-like formats for counts, rates, bytes, times and states.

/** Creates an element: `h('td', { class: 'num' }, '42')`. Attributes starting with `on` are listeners. */
export function h(tag, attributes = {}, ...children) {
  const svg = tag.startsWith('svg:');
  const element = svg
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** A table with a header row; `rows` are arrays of cells (strings or elements). */
export function table(headers, rows, attributes = {}) {
  return h(
    'table',
    attributes,
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((title) => h('th', {}, title)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.length === 0
        ? h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, 'none'))
        : rows.map((cells) =>
            cells instanceof Node
              ? cells
              : h(
                  'tr',
                  {},
                  cells.map((cell) => h('td', {}, cell)),
                ),
          ),
    ),
  );
}

/** Replaces the children of `parent` with `children`. */
export function fill(parent, ...children) {
  parent.replaceChildren(...children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false));
}

export function formatCount(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '-';
  return Math.round(n).toLocaleString('en-US');
}

export function formatRate(perSecond) {
  if (typeof perSecond !== 'number' || !Number.isFinite(perSecond)) return '-';
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} K/s`;
  return `${perSecond.toFixed(perSecond < 10 ? 1 : 0)} /s`;
}

export function formatBytes(bytes) {
  if (typeof bytes !== 'number' || bytes < 0) return '-';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(ms) {
  if (typeof ms !== 'number' || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)} s`;
  const parts = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor((s % 86400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ];
  return parts
    .filter(([n], i) => n > 0 || i === 3)
    .map(([n, u]) => `${n}${u}`)
    .join(' ');
}

export function formatTime(epochMs) {
  if (typeof epochMs !== 'number' || epochMs <= 0) return '-';
  const date = new Date(epochMs);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
  );
}

/** Flink reports "no watermark yet" as Long.MIN_VALUE (and the end of event time as Long.MAX_VALUE). */
export function formatWatermark(value) {
  const n = Number(value);
  if (value === undefined || !Number.isFinite(n) || n <= -9007199254740991) return 'No Watermark';
  if (n >= 9007199254740991) return 'End of event time';
  return formatTime(n);
}

/** A state badge coloured as in Flink's dashboard. */
export function stateBadge(state) {
  return h('span', { class: `badge state-${String(state).toLowerCase()}` }, state);
}

/** Which CSS class a backpressure level gets. */
export function backpressureClass(level) {
  return level === 'high' ? 'bp-high' : level === 'low' ? 'bp-low' : 'bp-ok';
}
