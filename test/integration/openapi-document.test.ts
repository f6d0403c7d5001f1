// Issue 14 item 7: the OpenAPI document is valid OpenAPI 3.1 (checked by a real validator), its patterns are
// JSON Schema (ECMA-262) regexes without JavaScript flags, every operation has a stable operationId, a typed
// client generated from it with openapi-typescript compiles, and the reference page shows every field of every
// request and response body (no unresolved $ref).
// Real: the Hono app (app.request), the document it serves, @seriousme/openapi-schema-validator,
// openapi-typescript and tsc. Simulated: the HTTP socket (app.request instead of a listening server).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Validator } from '@seriousme/openapi-schema-validator';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/env.ts';

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  pattern?: string;
};
type Operation = {
  operationId?: string;
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};
type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

let env: Awaited<ReturnType<typeof testApp>>;
let doc: Doc;
let reader = '';

beforeAll(async () => {
  env = await testApp();
  reader = await env.tokenFor('read');
  const res = await env.call('GET', '/api/v1/openapi.json', { token: reader });
  expect(res.status).toBe(200);
  doc = (await res.json()) as Doc;
});
afterAll(() => env.cleanup());

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op })),
  );

/** Every schema node under `schema`, following $refs into components (each component once). */
function walk(schema: Schema, visit: (s: Schema, path: string) => void, path = '', seen = new Set<string>()) {
  visit(schema, path);
  if (schema.$ref) {
    if (seen.has(schema.$ref)) return;
    seen.add(schema.$ref);
    const name = schema.$ref.replace('#/components/schemas/', '');
    walk(doc.components.schemas[name]!, visit, path, seen);
  }
  for (const [key, child] of Object.entries(schema.properties ?? {}))
    walk(child, visit, path ? `${path}.${key}` : key, seen);
  if (schema.items) walk(schema.items, visit, `${path}[]`, seen);
  for (const child of [...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])])
    walk(child, visit, path, seen);
}

describe('the OpenAPI document (issue 14 item 7)', () => {
  it('is valid OpenAPI 3.1 for a real validator', async () => {
    const result = await new Validator().validate(structuredClone(doc) as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('has patterns a JSON Schema validator can use: ECMA-262 source, no JavaScript /flags', () => {
    const patterns = new Map<string, string>();
    for (const schema of Object.values(doc.components.schemas))
      walk(schema, (s, path) => {
        if (s.pattern !== undefined) patterns.set(s.pattern, path);
      });
    expect(patterns.size).toBeGreaterThan(0);
    for (const [pattern, path] of patterns) {
      expect(pattern, path).not.toMatch(/\/[dgimsuvy]*$/);
      // JSON Schema validators (ajv, the 2020-12 test suite) compile `pattern` as an ECMA-262 unicode regex.
      expect(() => new RegExp(pattern, 'u'), path).not.toThrow();
    }
  });

  it('accepts and refuses the same names as the server', () => {
    const pattern = new RegExp(
      (doc.components.schemas.CreatePeer!.properties!.name as { pattern: string }).pattern,
      'u',
    );
    for (const name of ['alice-laptop', 'Büro 2', "O'Brien's phone", 'a', 'Ωμέγα', '東京', 'x@y.z_1', '٣'])
      expect(pattern.test(name), name).toBe(true);
    for (const name of ['-leading', 'semi;colon', 'tab\there', ' lead', 'emoji 🙂', 'a/b'])
      expect(pattern.test(name), name).toBe(false);
  });

  it('gives every operation a unique camelCase operationId', () => {
    const ids = operations().map(({ path, method, op }) => {
      expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z0-9]+$/);
      return op.operationId;
    });
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths['/peers']!.get!.operationId).toBe('listPeers');
    expect(doc.paths['/routes']!.post!.operationId).toBe('createRoute');
  });

  it('generates a typed client (openapi-typescript) whose calls compile, and whose mistakes do not', async () => {
    // defaultNonNullable off: a field with a default (a peer's `enabled`) may be left out of a request body.
    const types = astToString(await openapiTS(structuredClone(doc) as never, { defaultNonNullable: false }));
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-openapi-'));
    try {
      writeFileSync(join(dir, 'api.d.ts'), types);
      writeFileSync(
        join(dir, 'client.ts'),
        `import type { operations, paths } from './api.d.ts';
type CreatePeerBody = NonNullable<operations['createPeer']['requestBody']>['content']['application/json'];
type Peer = operations['createPeer']['responses'][201]['content']['application/json'];
type CreateRouteBody = paths['/routes']['post']['requestBody']['content']['application/json'];

export async function createPeer(base: string, token: string, body: CreatePeerBody): Promise<Peer> {
  const res = await fetch(base + '/peers', {
    method: 'POST',
    headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error('status ' + res.status);
  return (await res.json()) as Peer;
}

export async function demo(base: string, token: string): Promise<string> {
  const peer = await createPeer(base, token, { name: 'Büro 2', tags: ['laptop'] });
  const id: number = peer.id;
  const route: CreateRouteBody = {
    type: 'l4', name: 'ssh', target_kind: 'gateway', gateway_id: 1, target_lan_host: 'nas.lan',
    target_lan_port: 22, l4_protocol: 'tcp', l4_listen_port: '2222',
  };
  // @ts-expect-error the name is a string
  await createPeer(base, token, { name: 42 });
  return peer.address + id + route.name;
}
`,
      );
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noEmit: true,
            target: 'es2022',
            module: 'nodenext',
            moduleResolution: 'nodenext',
            allowImportingTsExtensions: true,
            lib: ['es2022', 'dom'],
            types: [],
            skipLibCheck: false,
          },
          files: ['client.ts'],
        }),
      );
      const tsc = join(process.cwd(), 'node_modules/typescript/bin/tsc');
      const run = await promisify(execFile)(process.execPath, [tsc, '-p', dir]).catch((e: { stdout: string }) => e);
      expect(run.stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the reference page (issue 14 item 7)', () => {
  it('shows every field of every request and response body, nested ones included, and no $ref', async () => {
    const page = await (await env.call('GET', '/api/v1/docs', { token: reader })).text();
    expect(page).not.toContain('$ref');
    expect(page).not.toContain('#/components/schemas');
    for (const { path, method, op } of operations()) {
      const bodies = [
        ...Object.values(op.requestBody?.content ?? {}),
        ...Object.values(op.responses).flatMap((r) => Object.values(r.content ?? {})),
      ];
      for (const { schema } of bodies)
        walk(schema, (_s, field) => {
          if (field) expect(page, `${method} ${path}: ${field}`).toContain(`<code>${field}</code>`);
        });
    }
    // Spot checks of nested fields in the route body and the operationId anchor.
    expect(page).toContain('<code>custom_headers[].direction</code>');
    expect(page).toContain('<code>health_check.interval_seconds</code>');
    expect(page).toContain('id="createRoute"');
  });

  it('needs a login unless api_docs_public is on', async () => {
    expect((await env.call('GET', '/api/v1/docs')).status).toBe(401);
    expect((await env.call('GET', '/api/v1/docs', { token: reader })).status).toBe(200);
  });
});
