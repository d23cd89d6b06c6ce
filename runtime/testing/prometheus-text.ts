// A parser of the Prometheus text exposition format (0.0.4) for tests that
// scrape /metrics: written from the format's description, independently of
// prom-client, so a test checks what a Prometheus server would read.

export interface ScrapedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  /** Family name → type, from the `# TYPE` lines. */
  types: Map<string, string>;
  samples: ScrapedSample[];
  /** Samples named `name` whose labels include `labels`. */
  find(name: string, labels?: Record<string, string | number>): ScrapedSample[];
  /** The one sample named `name` with `labels`; throws when there is none or several. */
  value(name: string, labels?: Record<string, string | number>): number;
  /** The sum over the samples named `name` with `labels` (0 when there are none). */
  sum(name: string, labels?: Record<string, string | number>): number;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN' || text === 'Nan') return Number.NaN;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new Error(`not a sample value: ${text}`);
  return value;
}

/** `{a="x",b="y\"z"}` starting at `text[start]`; returns the labels and the index after `}`. */
function parseLabels(text: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  while (text[i] !== '}') {
    const eq = text.indexOf('=', i);
    const name = text.slice(i, eq).trim();
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) throw new Error(`bad label name '${name}' in ${text}`);
    if (text[eq + 1] !== '"') throw new Error(`label value not quoted in ${text}`);
    let value = '';
    let j = eq + 2;
    for (; text[j] !== '"'; j++) {
      if (j >= text.length) throw new Error(`unterminated label value in ${text}`);
      if (text[j] === '\\') {
        j++;
        value += text[j] === 'n' ? '\n' : text[j];
      } else value += text[j];
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
  }
  return { labels, end: i + 1 };
}

export function parsePrometheusText(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: ScrapedSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type) types.set(type[1]!, type[2]!);
      continue;
    }
    const nameEnd = line.search(/[{\s]/);
    if (nameEnd <= 0) throw new Error(`not a sample line: ${line}`);
    const name = line.slice(0, nameEnd);
    let rest = nameEnd;
    let labels: Record<string, string> = {};
    if (line[nameEnd] === '{') ({ labels, end: rest } = parseLabels(line, nameEnd));
    const [valueText] = line.slice(rest).trim().split(/\s+/);
    samples.push({ name, labels, value: parseValue(valueText ?? '') });
  }
  const find = (name: string, labels: Record<string, string | number> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === String(v)));
  return {
    types,
    samples,
    find,
    value(name, labels) {
      const found = find(name, labels);
      if (found.length !== 1)
        throw new Error(`${found.length} samples of ${name} with ${JSON.stringify(labels ?? {})}, expected 1`);
      return found[0]!.value;
    },
    sum: (name, labels) => find(name, labels).reduce((total, s) => total + s.value, 0),
  };
}

/** GETs `url` and parses the exposition; checks the status and the content type. */
export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  const type = response.headers.get('content-type') ?? '';
  if (!type.startsWith('text/plain')) throw new Error(`GET ${url}: content type ${type}`);
  return parsePrometheusText(await response.text());
}
