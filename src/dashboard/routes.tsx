import type { Context, Hono, MiddlewareHandler } from 'hono';
import { AppError } from '../errors.ts';
import type { AppDeps } from '../http/types.ts';
import { CreateRouteSchema, type PublicRoute, RouteListQuerySchema, UpdateRouteSchema } from '../schemas/routes.ts';
import { listPeers } from '../services/peers/list.ts';
import { offlinePeerDeps } from '../services/peers/offline.ts';
import { createRoute } from '../services/routes/create.ts';
import { explainRoute } from '../services/routes/explain.ts';
import { getRoute, listRoutes } from '../services/routes/read.ts';
import { removeRoute } from '../services/routes/remove.ts';
import { updateRoute } from '../services/routes/update.ts';
import { type Form, type FormErrors, list, optNumber, str, toFormErrors } from './forms.ts';
import { gatewayChoices } from './gateways.tsx';
import { Badge, Csrf, Layout, TextField } from './layout.tsx';
import { NEW_ROUTE_VALUES, RouteForm, type RouteFormOptions, routeValues } from './pages/route-form.tsx';
import { meta, page, secureHeaders } from './render.ts';
import { type DashEnv, formOf, isHtmx, redirect } from './session.ts';

/** Every field name the form shows an error next to; anything else goes to the summary. */
const ROUTE_FIELDS = [
  'type',
  'name',
  'enabled',
  'domain',
  'target_kind',
  'target_host',
  'target_port',
  'peer_id',
  'gateway_id',
  'target_lan_host',
  'target_lan_port',
  'backend_https',
  'wol_enabled',
  'wol_mac',
  'l4_protocol',
  'l4_listen_port',
  'l4_tls_mode',
  'proxy_protocol',
  'acl_peers',
  'ip_filter_rules',
  'ip_filter_mode',
  'rate_limit_requests',
  'rate_limit_window',
  'auth_method',
  'auth_password',
  'auth_session_hours',
] as const;

const on = (form: Form, key: string) => list(form, key).includes('1');

/**
 * The form as the API's route fields. Fields the chosen type, target kind or TLS mode does not use are sent
 * as null, so switching an existing route from L4 to HTTP (say) clears them instead of failing validation.
 */
export function routeInput(form: Form) {
  const type = str(form, 'type') === 'l4' ? 'l4' : 'http';
  const l4 = type === 'l4';
  const kindRaw = str(form, 'target_kind');
  const kind = kindRaw === 'peer' || kindRaw === 'gateway' ? kindRaw : 'direct';
  const tls = str(form, 'l4_tls_mode') || 'none';
  const types = list(form, 'rule_type');
  const wol = kind === 'gateway' && on(form, 'wol_enabled');
  const password = typeof form.auth_password === 'string' ? form.auth_password : '';
  return {
    type,
    ...(str(form, 'name') ? { name: str(form, 'name') } : {}),
    enabled: on(form, 'enabled'),
    domain: !l4 || tls !== 'none' ? str(form, 'domain') || null : null,
    target_kind: kind,
    target_host: kind === 'direct' ? str(form, 'target_host') || null : null,
    target_port: kind !== 'gateway' ? optNumber(form, 'target_port') : null,
    peer_id: kind === 'peer' ? optNumber(form, 'peer_id') : null,
    gateway_id: kind === 'gateway' ? optNumber(form, 'gateway_id') : null,
    target_lan_host: kind === 'gateway' ? str(form, 'target_lan_host') || null : null,
    target_lan_port: kind === 'gateway' ? optNumber(form, 'target_lan_port') : null,
    backend_https: !l4 && on(form, 'backend_https'),
    wol_enabled: wol,
    wol_mac: wol ? str(form, 'wol_mac') || null : null,
    l4_protocol: l4 ? str(form, 'l4_protocol') || 'tcp' : null,
    l4_listen_port: l4 ? str(form, 'l4_listen_port') || null : null,
    l4_tls_mode: l4 ? tls : null,
    proxy_protocol: l4 ? str(form, 'proxy_protocol') || 'none' : 'none',
    acl_enabled: on(form, 'acl_enabled'),
    acl_peers: list(form, 'acl_peers').map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
    ip_filter_enabled: on(form, 'ip_filter_enabled'),
    ip_filter_mode: str(form, 'ip_filter_mode') || 'whitelist',
    ip_filter_rules: list(form, 'rule_value')
      .map((value, i) => ({ type: types[i] ?? 'ip', value: value.trim() }))
      .filter((r) => r.value !== ''),
    rate_limit_enabled: on(form, 'rate_limit_enabled'),
    ...(str(form, 'rate_limit_requests') ? { rate_limit_requests: optNumber(form, 'rate_limit_requests') } : {}),
    rate_limit_window: str(form, 'rate_limit_window') || '1m',
    ...(l4
      ? { auth_enabled: false, basic_auth_enabled: false }
      : {
          auth_enabled: on(form, 'auth_enabled'),
          auth_method: str(form, 'auth_method') || 'password',
          basic_auth_enabled: on(form, 'basic_auth_enabled'),
          ...(str(form, 'auth_session_hours') ? { auth_session_hours: optNumber(form, 'auth_session_hours') } : {}),
          ...(password ? { auth_password: password } : {}),
        }),
  };
}

async function formOptions(c: Context<DashEnv>, deps: AppDeps): Promise<RouteFormOptions> {
  const ctx = c.get('ctx');
  const peers = await listPeers({ ctx, deps: deps.peers ?? offlinePeerDeps(), input: { limit: 500, offset: 0 } });
  return {
    peers: peers.data.map((p) => ({ id: p.id, name: p.name, address: p.address, enabled: p.enabled, tags: p.tags })),
    gateways: await gatewayChoices(ctx, deps),
  };
}

function target(r: PublicRoute): string {
  if (r.target_kind === 'gateway') return `${r.target_lan_host}:${r.target_lan_port} via gateway ${r.gateway_id}`;
  if (r.target_kind === 'peer') return `peer ${r.peer_id}:${r.target_port}`;
  return `${r.target_host}:${r.target_port}`;
}

function ExplainBox({ routeId, ip, result }: { routeId: number; ip?: string; result?: ExplainOutcome }) {
  return (
    <section class="card" aria-labelledby="explain-h">
      <h2 id="explain-h">Explain</h2>
      <p class="hint">
        Would a client from this IP get through? Asked of the data plane itself, so it is what enforcement does.
      </p>
      <form
        method="get"
        action={`/routes/${routeId}/explain`}
        class="row"
        hx-get={`/routes/${routeId}/explain`}
        hx-target="#explain-result"
        hx-swap="innerHTML"
      >
        <TextField name="ip" id="explain-ip" label="Client IP" value={ip ?? ''} placeholder="203.0.113.7" />
        <button type="submit">Explain</button>
      </form>
      <div id="explain-result" aria-live="polite">
        {result ? <ExplainResult result={result} /> : null}
      </div>
    </section>
  );
}

type ExplainOutcome = { ok: true; body: Record<string, unknown> } | { ok: false; message: string };

function ExplainResult({ result }: { result: ExplainOutcome }) {
  if (!result.ok) return <p class="explain-result denied">{result.message}</p>;
  const decision = (result.body.decision ?? {}) as {
    allowed?: boolean;
    check?: string;
    rule?: string;
    country?: string;
    retry_after?: number;
  };
  const checks = Array.isArray(result.body.checks) ? (result.body.checks as string[]) : [];
  return (
    <div class={`explain-result ${decision.allowed ? 'allowed' : 'denied'}`}>
      <p>
        <strong>{decision.allowed ? 'Allowed' : 'Denied'}</strong> for {String(result.body.ip ?? '')}
        {decision.country ? ` (country ${decision.country})` : ''}
        {decision.check ? ` — decided by ${decision.check}` : ''}
        {decision.rule ? `: ${decision.rule}` : ''}
      </p>
      <p class="hint">Checks on this route: {checks.length ? checks.join(', ') : 'none (everyone is allowed)'}</p>
    </div>
  );
}

export function registerRoutes(app: Hono<DashEnv>, deps: AppDeps, session: MiddlewareHandler<DashEnv>) {
  app.get('/routes', session, async (c) => {
    const parsed = RouteListQuerySchema.safeParse({ ...c.req.query(), limit: 200 });
    const query = parsed.success ? parsed.data : RouteListQuerySchema.parse({ limit: 200 });
    const result = await listRoutes({ ctx: c.get('ctx'), input: query });
    const m = meta(c, 'Routes');
    const sel = (name: string, label: string, options: [string, string][], value?: string) => (
      <div class="field">
        <label for={`f-${name}`}>{label}</label>
        <select id={`f-${name}`} name={name}>
          {options.map(([v, l]) => (
            <option value={v} selected={v === (value ?? '')}>
              {l}
            </option>
          ))}
        </select>
      </div>
    );
    return page(
      c,
      <Layout meta={m}>
        <div class="page-head">
          <h1>Routes</h1>
          <a class="button primary" href="/routes/new">
            New route
          </a>
        </div>
        <form method="get" action="/routes" class="filters">
          <TextField name="q" id="f-q" label="Name or domain" type="search" value={query.q ?? ''} />
          {sel(
            'type',
            'Type',
            [
              ['', 'All'],
              ['http', 'HTTP'],
              ['l4', 'L4'],
            ],
            query.type,
          )}
          {sel(
            'target_kind',
            'Target',
            [
              ['', 'All'],
              ['direct', 'Direct'],
              ['peer', 'Peer'],
              ['gateway', 'Gateway'],
            ],
            query.target_kind,
          )}
          {sel(
            'enabled',
            'State',
            [
              ['', 'All'],
              ['true', 'Enabled'],
              ['false', 'Disabled'],
            ],
            query.enabled,
          )}
          <button type="submit">Filter</button>
        </form>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Route</th>
                <th scope="col">Listens on</th>
                <th scope="col" class="opt">
                  Target
                </th>
                <th scope="col" class="opt">
                  Access
                </th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {result.data.length === 0 ? (
                <tr>
                  <td colspan={5} class="empty">
                    No routes match. <a href="/routes/new">Create a route</a>.
                  </td>
                </tr>
              ) : (
                result.data.map((r) => (
                  <tr>
                    <td>
                      <a href={`/routes/${r.id}`}>{r.name}</a>{' '}
                      <Badge tone="muted">{r.type === 'l4' ? `L4 ${r.l4_protocol}` : 'HTTP'}</Badge>
                    </td>
                    <td class="mono">
                      {r.type === 'l4' ? `:${r.l4_listen_port}${r.domain ? ` (${r.domain})` : ''}` : r.domain}
                    </td>
                    <td class="opt mono">{target(r)}</td>
                    <td class="opt">
                      {[
                        r.acl_enabled && 'peer ACL',
                        r.ip_filter_enabled && `IP ${r.ip_filter_mode}`,
                        r.rate_limit_enabled && 'rate limit',
                        r.auth_enabled && 'login',
                      ]
                        .filter(Boolean)
                        .join(', ') || '—'}
                    </td>
                    <td>{r.enabled ? <Badge tone="ok">enabled</Badge> : <Badge tone="muted">disabled</Badge>}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
        <p class="hint">{result.pagination.total} routes</p>
      </Layout>,
    );
  });

  const formPage = async (
    c: Context<DashEnv>,
    opts: { route?: PublicRoute; values: Form; errors?: FormErrors; explain?: { ip: string; result: ExplainOutcome } },
  ) => {
    const title = opts.route ? opts.route.name : 'New route';
    const m = meta(c, title, '/routes');
    const options = await formOptions(c, deps);
    return page(
      c,
      <Layout meta={m}>
        <div class="page-head">
          <h1>{title}</h1>
          {opts.route ? <Badge tone="muted">route {opts.route.id}</Badge> : null}
        </div>
        <RouteForm meta={m} route={opts.route} values={opts.values} errors={opts.errors} options={options} />
        {opts.route ? <ExplainBox routeId={opts.route.id} ip={opts.explain?.ip} result={opts.explain?.result} /> : null}
        {opts.route ? (
          <form method="post" action={`/routes/${opts.route.id}/delete`} class="card">
            <Csrf token={m.csrf} />
            <h2>Delete</h2>
            <button type="submit" class="danger">
              Delete this route
            </button>
          </form>
        ) : null}
      </Layout>,
      opts.errors ? 422 : 200,
    );
  };

  /** "Use 20001" on a conflict fills the suggestion in and shows the form again for a last look. */
  const useSuggestion = (form: Form) => {
    const port = str(form, 'use_port');
    return /^\d{1,5}(-\d{1,5})?$/.test(port) ? { ...form, l4_listen_port: port } : undefined;
  };

  app.get('/routes/new', session, (c) => formPage(c, { values: NEW_ROUTE_VALUES }));

  app.post('/routes', session, async (c) => {
    const form = await formOf(c);
    const filled = useSuggestion(form);
    if (filled) return formPage(c, { values: filled });
    try {
      const route = await createRoute({ ctx: c.get('ctx'), input: CreateRouteSchema.parse(routeInput(form)) });
      return redirect(c, `/routes/${route.id}?done=route-created`);
    } catch (err) {
      return formPage(c, { values: form, errors: toFormErrors(err, ROUTE_FIELDS) });
    }
  });

  const routeId = (raw: string) => (/^\d{1,9}$/.test(raw) ? Number(raw) : 0);

  app.get('/routes/:id', session, async (c) => {
    const route = await getRoute({ ctx: c.get('ctx'), input: { id: routeId(c.req.param('id')) } });
    return formPage(c, { route, values: routeValues(route) });
  });

  app.post('/routes/:id', session, async (c) => {
    const id = routeId(c.req.param('id'));
    const ctx = c.get('ctx');
    const form = await formOf(c);
    const route = await getRoute({ ctx, input: { id } });
    const filled = useSuggestion(form);
    if (filled) return formPage(c, { route, values: filled });
    try {
      await updateRoute({ ctx, input: { id, fields: UpdateRouteSchema.parse(routeInput(form)) } });
      return redirect(c, `/routes/${id}?done=route-saved`);
    } catch (err) {
      return formPage(c, { route, values: form, errors: toFormErrors(err, ROUTE_FIELDS) });
    }
  });

  app.post('/routes/:id/delete', session, async (c) => {
    await removeRoute({ ctx: c.get('ctx'), input: { id: routeId(c.req.param('id')) } });
    return redirect(c, '/routes?done=route-deleted');
  });

  app.get('/routes/:id/explain', session, async (c) => {
    const id = routeId(c.req.param('id'));
    const ctx = c.get('ctx');
    const ip = (c.req.query('ip') ?? '').trim().slice(0, 64);
    let result: ExplainOutcome;
    try {
      result = { ok: true, body: await explainRoute({ ctx, input: { id, ip } }) };
    } catch (err) {
      if (!(err instanceof AppError) || err.code === 'internal') throw err;
      result = { ok: false, message: err.code === 'validation_failed' ? `"${ip}" is not an IP address.` : err.message };
    }
    if (isHtmx(c)) {
      secureHeaders(c);
      return c.html(<ExplainResult result={result} />);
    }
    const route = await getRoute({ ctx, input: { id } });
    return formPage(c, { route, values: routeValues(route), explain: { ip, result } });
  });
}
