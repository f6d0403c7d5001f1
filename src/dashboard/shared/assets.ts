import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Handler } from 'hono';

const require = createRequire(import.meta.url);
// A Map, not an object literal: `/assets/__proto__` or `/assets/constructor` must find nothing (issue 13 item 19).
const ASSETS = new Map<string, { file: string; type: string }>([
  ['app.css', { file: new URL('../assets/app.css', import.meta.url).pathname, type: 'text/css; charset=utf-8' }],
  ['app.js', { file: new URL('../assets/app.js', import.meta.url).pathname, type: 'text/javascript; charset=utf-8' }],
  ['htmx.min.js', { file: require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript; charset=utf-8' }],
  [
    'passkeys.js',
    { file: new URL('../assets/passkeys.js', import.meta.url).pathname, type: 'text/javascript; charset=utf-8' },
  ],
  [
    'simplewebauthn.js',
    {
      // The package exports only its modules; its browser bundle sits next to them (package.json "unpkg").
      file: path.join(
        path.dirname(path.dirname(require.resolve('@simplewebauthn/browser'))),
        'dist/bundle/index.umd.min.js',
      ),
      type: 'text/javascript; charset=utf-8',
    },
  ],
]);

/** `GET /assets/:name`: our stylesheet and script and htmx, from a fixed list, read once and kept in memory. */
export function serveAssets(): Handler {
  const cache = new Map<string, string>();
  return async (c) => {
    const asset = ASSETS.get(c.req.param('name') ?? '');
    if (!asset) return c.notFound();
    let body = cache.get(asset.file);
    if (body === undefined) {
      body = await readFile(asset.file, 'utf8');
      cache.set(asset.file, body);
    }
    c.header('Content-Type', asset.type);
    c.header('Cache-Control', 'public, max-age=300');
    c.header('X-Content-Type-Options', 'nosniff');
    return c.body(body);
  };
}
