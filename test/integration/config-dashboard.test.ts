// The dashboard's configuration page: paste a file → its plan → confirm → applied; errors with file:line;
// the backup schedule form. Real: the Hono app (dashboard pages and forms with CSRF), the services, a libSQL
// temp file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { readRuntimeSettings } from '../../src/services/settings/runtime.ts';
import { ADMIN, browser } from '../helpers/admin-login.ts';
import { systemContext, testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let b: ReturnType<typeof browser>;

beforeAll(async () => {
  env = await testApp();
  await bootstrapAdmin({ ctx: systemContext(env) });
  b = browser(env, '198.51.100.7');
  expect((await b.password(ADMIN.password)).status).toBe(303);
});
afterAll(() => env.cleanup());

async function post(path: string, extra: Record<string, string> = {}) {
  const csrf = b.csrfOf(await (await b.request('GET', '/settings/config')).text());
  return b.request('POST', path, { _csrf: csrf, ...extra });
}

const FILE =
  'version: 1\nroutes:\n  - name: app\n    type: http\n    domain: app.example.com\n    target_kind: direct\n    target_host: 10.0.0.5\n    target_port: 8080\n';

describe('dashboard: configuration and backups', () => {
  it('upload → plan → confirm applies; a second plan shows nothing to do', async () => {
    const plan = await post('/settings/config/plan', { content: FILE });
    expect(plan.status).toBe(200);
    const html = await plan.text();
    expect(html).toContain('+ route &quot;app&quot;');
    expect(html).toContain('Apply this plan');
    const routesBefore = await env.call('GET', '/api/v1/routes', { token: await env.tokenFor('read') });
    expect(((await routesBefore.json()) as { data: unknown[] }).data).toHaveLength(0);

    const applied = await post('/settings/config/apply', { content: FILE });
    expect(applied.status).toBe(200);
    const again = await post('/settings/config/plan', { content: FILE });
    expect(await again.text()).toContain('No changes');
  });

  it('shows the file, line and field of a bad file and changes nothing', async () => {
    const r = await post('/settings/config/apply', { content: FILE.replace('8080', '0') });
    expect(r.status).toBe(422);
    expect(await r.text()).toContain('pasted file:8: routes.0.target_port');
  });

  it('saves the backup schedule and refuses nonsense', async () => {
    expect((await post('/settings/config/backups', { backup_interval_hours: '24', backup_keep: '3' })).status).toBe(
      303,
    );
    expect(await readRuntimeSettings(env.db)).toMatchObject({ backup_interval_hours: 24, backup_keep: 3 });
    expect((await post('/settings/config/backups', { backup_interval_hours: '-1', backup_keep: '3' })).status).toBe(
      422,
    );
    const page = await (await b.request('GET', '/settings/config')).text();
    expect(page).toContain('/api/v1/config/export?format=yaml');
  });
});
