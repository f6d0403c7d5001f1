import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { type FieldRow, fieldRows, type JsonSchema } from './reference-schema.ts';

type Content = Record<string, { schema?: JsonSchema }>;

interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: JsonSchema }[];
  requestBody?: { required?: boolean; content?: Content };
  responses?: Record<string, { description?: string; content?: Content }>;
}

interface Document {
  info: { title: string; version: string };
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/**
 * A browsable API reference rendered on the server from the OpenAPI document: no script or stylesheet
 * from a CDN, so it works on an offline server too. Bodies are shown as field tables with every `$ref`
 * resolved (src/api/reference-schema.ts), so a reader never has to look a schema up by name.
 */
export function renderReference(openapi: object) {
  const doc = openapi as Document;
  const components = doc.components?.schemas ?? {};
  const rows = Object.entries(doc.paths ?? {}).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
  );
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${doc.info.title} — API reference</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#1d2433}
code{font:13px ui-monospace,monospace}table{border-collapse:collapse;width:100%;margin:.3rem 0 .8rem}
th,td{text-align:left;vertical-align:top;padding:.2rem .5rem;border-bottom:1px solid #e3e6ea;font-size:14px}
.m{display:inline-block;min-width:4.5rem;font-weight:600}.GET{color:#1a7f37}.POST{color:#0969da}.PUT,.PATCH{color:#9a6700}.DELETE{color:#cf222e}
details{border-bottom:1px solid #e3e6ea;padding:.4rem 0}summary{cursor:pointer}h4{margin:.6rem 0 .2rem;font-size:14px}
.req{color:#cf222e}.op{color:#57606a}</style></head>
<body><h1>${doc.info.title} <small>${doc.info.version}</small></h1>
<p>REST API under <code>/api/v1</code>. Authenticate with <code>Authorization: Bearer gth_…</code>. The machine-readable
document is <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1); the operation ids below name the
functions of clients generated from it.</p>
${rows.map(
  (
    r,
  ) => html`<details id="${r.op.operationId ?? ''}"><summary><span class="m ${r.method}">${r.method}</span> <code>/api/v1${r.path}</code> — ${r.op.summary ?? ''} <span class="op">(<code>${r.op.operationId ?? ''}</code>)</span></summary>
${parametersTable(r.op.parameters ?? [])}
${r.op.requestBody?.content ? html`<h4>Request body${r.op.requestBody.required ? '' : ' (optional)'}</h4>${contentTables(r.op.requestBody.content, components)}` : ''}
${Object.entries(r.op.responses ?? {}).map(
  ([status, response]) =>
    html`<h4>${status} — ${response.description ?? ''}</h4>${response.content ? contentTables(response.content, components) : ''}`,
)}</details>`,
)}
</body></html>`;
}

function parametersTable(parameters: NonNullable<Operation['parameters']>): Html | string {
  if (!parameters.length) return '';
  return html`<h4>Parameters</h4><table><thead><tr><th>Name</th><th>In</th><th>Type</th><th>Description</th></tr></thead><tbody>
${parameters.map(
  (p) =>
    html`<tr><td><code>${p.name}</code>${p.required ? html` <span class="req">required</span>` : ''}</td><td>${p.in}</td><td>${p.schema ? typeCell(fieldRows(p.schema, {})[0]) : ''}</td><td>${p.description ?? ''}</td></tr>`,
)}</tbody></table>`;
}

function contentTables(content: Content, components: Record<string, JsonSchema>): Html[] {
  return Object.entries(content).map(([mediaType, { schema }]) => {
    const fields = schema ? fieldRows(schema, components) : [];
    const named = fields.filter((f) => f.path);
    if (!named.length) return html`<p><code>${mediaType}</code>: ${typeCell(fields[0])}</p>`;
    return html`<p><code>${mediaType}</code></p><table><thead><tr><th>Field</th><th>Type</th><th>Description</th></tr></thead><tbody>
${named.map(
  (f) =>
    html`<tr><td><code>${f.path}</code>${f.required ? html` <span class="req">required</span>` : ''}</td><td>${typeCell(f)}</td><td>${f.description}</td></tr>`,
)}</tbody></table>`;
  });
}

function typeCell(field: FieldRow | undefined): Html | string {
  if (!field) return 'any';
  return html`${field.type}${field.rules.length ? raw('<br>') : ''}${field.rules.join('; ')}`;
}
