import { z } from '@hono/zod-openapi';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { AppError } from '../../errors.ts';
import type { AppDeps } from '../../http/types.ts';
import { ExplainQuestionShape } from '../../schemas/policies.ts';
import { CreateRouteSchema, type PublicRoute, RouteListQuerySchema, UpdateRouteSchema } from '../../schemas/routes.ts';
import { routeProviderChoices } from '../../services/identity-providers/route-choices.ts';
import { listPeers } from '../../services/peers/list.ts';
import { offlinePeerDeps } from '../../services/peers/offline.ts';
import { getPolicy, listPolicies } from '../../services/policies/read.ts';
import { createRoute } from '../../services/routes/create.ts';
import { explainRoute } from '../../services/routes/explain.ts';
import { getRoute, listRoutes } from '../../services/routes/read.ts';
import { removeRoute } from '../../services/routes/remove.ts';
import { updateRoute } from '../../services/routes/update.ts';
import { gatewayChoices, liveGateways } from '../gateways/live.tsx';
import { isConfirmed, toConfirmPage } from '../shared/confirm.tsx';
import { type Form, type FormErrors, toFormErrors } from '../shared/forms.ts';
import { meta, page, secureHeaders } from '../shared/render.ts';
import { type DashEnv, formOf, isHtmx, redirect } from '../shared/session.ts';
import { confirmRouteDelete } from './confirm.tsx';
import { ROUTE_FIELDS, routeInput, useSuggestion } from './input.ts';
import { liveView, mountLive, routeTraffic } from './live-handlers.tsx';
import { RouteEditPage } from './pages/edit.tsx';
import { RoutesPage } from './pages/list.tsx';
import { type ExplainOutcome, ExplainResult, type RouteExplainQuestion } from './parts/explain.tsx';
import type { RouteUsersProps } from './parts/route-users.tsx';
import { routeUsersDashboard } from './users-handlers.tsx';
import { NEW_ROUTE_VALUES, type RouteFormOptions, routeValues } from './values.ts';

const routeId = (raw: string) => (/^\d{1,9}$/.test(raw) ? Number(raw) : 0);

async function formOptions(c: Context<DashEnv>, deps: AppDeps): Promise<RouteFormOptions> {
  const ctx = c.get('ctx');
  const peers = await listPeers({ ctx, deps: deps.peers ?? offlinePeerDeps(), input: { limit: 500, offset: 0 } });
  return {
    peers: peers.data.map((p) => ({ id: p.id, name: p.name, address: p.address, enabled: p.enabled, tags: p.tags })),
    gateways: await gatewayChoices(ctx, deps),
    policies: (await listPolicies({ ctx, input: { limit: 200, offset: 0 } })).data.map((p) => ({
      id: p.id,
      name: p.name,
    })),
    identityProviders: await routeProviderChoices(ctx),
  };
}

/** The dashboard's routes: list, create, edit, delete, and explain (would this client get through?). */
export function routesDashboard(deps: AppDeps, session: MiddlewareHandler<DashEnv>) {
  const app = new Hono<DashEnv>();
  const users = routeUsersDashboard();

  const editPage = async (
    c: Context<DashEnv>,
    opts: {
      route?: PublicRoute;
      values: Form;
      errors?: FormErrors;
      explain?: { question: RouteExplainQuestion; result: ExplainOutcome };
      users?: Pick<RouteUsersProps, 'values' | 'errors'>;
    },
  ) =>
    page(
      c,
      <RouteEditPage
        meta={meta(c, opts.route ? opts.route.name : 'New route', '/routes')}
        options={await formOptions(c, deps)}
        {...opts}
        users={opts.route ? await users.section(c, opts.route, opts.users) : undefined}
        gateways={opts.route?.target_kind === 'gateway' ? await liveGateways(c.get('ctx'), deps) : undefined}
        traffic={opts.route?.target_kind === 'gateway' ? await routeTraffic(c.get('ctx'), opts.route) : undefined}
        live={opts.route ? await liveView(c.get('ctx'), opts.route) : undefined}
      />,
      opts.errors || opts.users?.errors ? 422 : 200,
    );

  app.get('/routes', session, async (c) => {
    const parsed = RouteListQuerySchema.safeParse({ ...c.req.query(), limit: 200 });
    const query = parsed.success ? parsed.data : RouteListQuerySchema.parse({ limit: 200 });
    const result = await listRoutes({ ctx: c.get('ctx'), input: query });
    return page(
      c,
      <RoutesPage meta={meta(c, 'Routes')} query={query} routes={result.data} total={result.pagination.total} />,
    );
  });

  app.get('/routes/new', session, (c) => editPage(c, { values: NEW_ROUTE_VALUES }));

  app.post('/routes', session, async (c) => {
    const form = await formOf(c);
    const filled = useSuggestion(form);
    if (filled) return editPage(c, { values: filled });
    try {
      const route = await createRoute({ ctx: c.get('ctx'), input: CreateRouteSchema.parse(routeInput(form)) });
      return redirect(c, `/routes/${route.id}?done=route-created`);
    } catch (err) {
      return editPage(c, { values: form, errors: toFormErrors(err, ROUTE_FIELDS) });
    }
  });

  app.get('/routes/:id', session, async (c) => {
    const route = await getRoute({ ctx: c.get('ctx'), input: { id: routeId(c.req.param('id')) } });
    return editPage(c, { route, values: routeValues(route) });
  });

  app.post('/routes/:id', session, async (c) => {
    const id = routeId(c.req.param('id'));
    const ctx = c.get('ctx');
    const form = await formOf(c);
    const route = await getRoute({ ctx, input: { id } });
    const filled = useSuggestion(form);
    if (filled) return editPage(c, { route, values: filled });
    try {
      const fields = UpdateRouteSchema.parse(routeInput(form));
      // Leaving the shared policy: the route keeps its rules as its own copy (src/dashboard/routes/input.ts).
      if (fields.policy_id === null && fields.policy === undefined && route.policy_id !== null) {
        fields.policy = (await getPolicy({ ctx, input: { id: route.policy_id } })).policy;
      }
      await updateRoute({ ctx, input: { id, fields } });
      return redirect(c, `/routes/${id}?done=route-saved`);
    } catch (err) {
      return editPage(c, { route, values: form, errors: toFormErrors(err, ROUTE_FIELDS) });
    }
  });

  app.get('/routes/:id/delete', session, (c) => confirmRouteDelete(c, routeId(c.req.param('id'))));

  app.post('/routes/:id/delete', session, async (c) => {
    if (!isConfirmed(await formOf(c))) return toConfirmPage(c);
    await removeRoute({ ctx: c.get('ctx'), input: { id: routeId(c.req.param('id')) } });
    return redirect(c, '/routes?done=route-deleted');
  });

  mountLive(app, session, routeId);

  users.mount(app, session, async (c, id, usersForm) => {
    const route = await getRoute({ ctx: c.get('ctx'), input: { id } });
    return editPage(c, { route, values: routeValues(route), users: usersForm });
  });

  app.get('/routes/:id/explain', session, async (c) => {
    const id = routeId(c.req.param('id'));
    const ctx = c.get('ctx');
    const field = (name: string, max: number) => (c.req.query(name) ?? '').trim().slice(0, max);
    const question: RouteExplainQuestion = {
      ip: field('ip', 64),
      at: field('at', 64),
      method: field('method', 20),
      path: field('path', 2048),
    };
    let result: ExplainOutcome;
    // The API's own question schema: the same limits and messages for a time, a method and a path.
    const asked = z.object(ExplainQuestionShape).safeParse({
      ip: question.ip,
      at: question.at || undefined,
      method: question.method || undefined,
      path: question.path || undefined,
    });
    if (!asked.success) {
      const fields = Object.fromEntries(asked.error.issues.map((i) => [String(i.path[0]), i.message]));
      result = {
        ok: false,
        message: Object.entries(fields)
          .map(([k, m]) => `${k}: ${m}`)
          .join('; '),
        fields,
      };
    } else {
      try {
        result = { ok: true, body: await explainRoute({ ctx, input: { id, ...asked.data } }) };
      } catch (err) {
        if (!(err instanceof AppError) || err.code === 'internal') throw err;
        result = { ok: false, message: err.message };
      }
    }
    if (isHtmx(c)) {
      secureHeaders(c);
      return c.html(<ExplainResult result={result} />);
    }
    const route = await getRoute({ ctx, input: { id } });
    return editPage(c, { route, values: routeValues(route), explain: { question, result } });
  });

  return app;
}
