import { html, raw } from 'hono/html';

interface Operation {
  summary?: string;
  tags?: string[];
  parameters?: { name: string; in: string }[];
  requestBody?: unknown;
  responses?: Record<string, { description?: string }>;
}

/**
 * A browsable API reference rendered on the server from the OpenAPI document: no script or stylesheet
 * from a CDN, so it works on an offline server too.
 */
export function renderReference(openapi: object) {
  const doc = openapi as {
    info: { title: string; version: string };
    paths?: Record<string, Record<string, Operation>>;
  };
  const rows = Object.entries(doc.paths ?? {}).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
  );
  const escapeJson = (value: unknown) => JSON.stringify(value, null, 2);
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${doc.info.title} — API reference</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2433}
code,pre{font:13px ui-monospace,monospace}pre{background:#f4f6f8;padding:.75rem;overflow:auto;border-radius:6px}
.m{display:inline-block;min-width:4.5rem;font-weight:600}.GET{color:#1a7f37}.POST{color:#0969da}.PUT{color:#9a6700}.DELETE{color:#cf222e}
details{border-bottom:1px solid #e3e6ea;padding:.4rem 0}summary{cursor:pointer}</style></head>
<body><h1>${doc.info.title} <small>${doc.info.version}</small></h1>
<p>REST API under <code>/api/v1</code>. Authenticate with <code>Authorization: Bearer gth_…</code>. The machine-readable
document is <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1).</p>
${rows.map(
  (
    r,
  ) => html`<details><summary><span class="m ${r.method}">${r.method}</span> <code>/api/v1${r.path}</code> — ${r.op.summary ?? ''}</summary>
<pre>${raw(escapeHtml(escapeJson({ parameters: r.op.parameters, requestBody: r.op.requestBody, responses: r.op.responses })))}</pre></details>`,
)}
</body></html>`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
