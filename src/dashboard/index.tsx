import { Hono } from 'hono';
import type { LoginThrottle } from '../auth/login-throttle.ts';
import type { AppDeps } from '../http/types.ts';
import { accessLogDashboard } from './access-log/handlers.tsx';
import { accountDashboard } from './account/handlers.tsx';
import { passkeysDashboard } from './account/passkeys.tsx';
import { alertsDashboard } from './alerts/handlers.tsx';
import { auditDashboard } from './audit/handlers.tsx';
import { gatewaysDashboard } from './gateways/handlers.tsx';
import { loginDashboard } from './login/handlers.tsx';
import { oidcLoginDashboard } from './login/oidc.tsx';
import { passkeyLoginDashboard } from './login/passkey.tsx';
import { overviewDashboard } from './overview/handlers.tsx';
import { peersDashboard } from './peers/handlers.tsx';
import { policiesDashboard } from './policies/handlers.tsx';
import { routesDashboard } from './routes/handlers.tsx';
import { settingsDashboard } from './settings/handlers.tsx';
import { serveAssets } from './shared/assets.ts';
import { errorPage } from './shared/error-page.tsx';
import { type DashEnv, requireSession } from './shared/session.ts';
import { tokensDashboard } from './tokens/handlers.tsx';
import { usersDashboard } from './users/handlers.tsx';
import { inviteDashboard } from './users/invite-accept.tsx';

/**
 * The dashboard: server-rendered pages over the same service verbs as the API, one sub-app per resource
 * (`<resource>/handlers.tsx` reads the request, calls the verb and renders `<resource>/pages`). Mounted at `/`
 * by createApp; every path is registered explicitly (no `use('*')`), so nothing here touches `/api/v1`.
 */
export function dashboardApp(deps: AppDeps, adminLoginThrottle: LoginThrottle) {
  const app = new Hono<DashEnv>();
  const session = requireSession(deps);
  app.get('/assets/:name', serveAssets());
  app.onError(errorPage);
  app.route('/', loginDashboard(deps, session, adminLoginThrottle));
  app.route('/', oidcLoginDashboard(deps));
  app.route('/', overviewDashboard(deps, session));
  app.route('/', accountDashboard(deps, session, adminLoginThrottle));
  app.route('/', peersDashboard(deps, session));
  app.route('/', routesDashboard(deps, session));
  app.route('/', policiesDashboard(session));
  app.route('/', gatewaysDashboard(deps, session));
  app.route('/', tokensDashboard(session));
  app.route('/', usersDashboard(deps.config, session));
  app.route('/', inviteDashboard(deps));
  app.route('/', passkeyLoginDashboard(deps));
  app.route('/', passkeysDashboard(deps.config, session));
  app.route('/', settingsDashboard(session));
  app.route('/', auditDashboard(session));
  app.route('/', alertsDashboard(deps, session));
  app.route('/', accessLogDashboard(session));
  return app;
}
