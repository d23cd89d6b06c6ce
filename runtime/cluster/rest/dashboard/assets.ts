// The web dashboard's files, served as they are by the REST server: the page
// at `/`, its scripts and styles under `/web/` (a prefix no REST path of
// Flink's or Brook's uses). A fixed list, read once: nothing else on disk is reachable.
import { readFileSync } from 'node:fs';

/** Where the dashboard's assets live on the REST port. */
export const ASSETS_PREFIX = '/web/';

const contentTypes: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

const files = [
  'index.html',
  'app.js',
  'api.js',
  'job.js',
  'checkpoints.js',
  'graph.js',
  'views.js',
  'style.css',
] as const;

export interface Asset {
  body: Buffer;
  contentType: string;
}

let loaded: Map<string, Asset> | undefined;

function assets(): Map<string, Asset> {
  loaded ??= new Map(
    files.map((name) => [
      name,
      {
        body: readFileSync(new URL(`./${name}`, import.meta.url)),
        contentType: contentTypes[name.split('.').pop()!]!,
      },
    ]),
  );
  return loaded;
}

/** The asset `GET pathname` asks for, if it is one: `/` (and `/index.html`) is the page. */
export function dashboardAsset(method: string, pathname: string): Asset | undefined {
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  if (pathname === '/' || pathname === '/index.html') return assets().get('index.html');
  if (!pathname.startsWith(ASSETS_PREFIX)) return undefined;
  return assets().get(pathname.slice(ASSETS_PREFIX.length));
}
