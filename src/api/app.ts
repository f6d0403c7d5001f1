import { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { LoginThrottle } from '../auth/login-throttle.ts';
import { authenticate, authorize } from '../http/middleware.ts';
import type { AppDeps, AppEnv } from '../http/types.ts';
import { apiDocsPublic } from '../services/settings/runtime.ts';
import { accessLogApi } from './access-log.ts';
import { alertsApi } from './alerts.ts';
import { auditApi } from './audit.ts';
import { authApi } from './auth.ts';
import { backupsApi } from './backups.ts';
import { configApi } from './config.ts';
import { gatewaySyncApi } from './gateway-sync.ts';
import { gatewaysApi } from './gateways.ts';
import { healthApi } from './health.ts';
import { identityProvidersApi } from './identity-providers.ts';
import { peersApi } from './peers.ts';
import { policiesApi } from './policies.ts';
import { renderReference } from './reference.ts';
import { routeAppTokensApi } from './route-app-tokens.ts';
import { routeAuthUsersApi } from './route-auth-users.ts';
import { routeShareLinksApi } from './route-share-links.ts';
import { routesApi } from './routes.ts';
import { settingsApi } from './settings.ts';
import { statusApi } from './status.ts';
import { tlsApi } from './tls.ts';
import { tokensApi } from './tokens.ts';
import { usersApi } from './users.ts';

export const API_INFO = { title: 'Gatehouse API', version: '1' };

/**
 * The REST API, mounted by src/app.ts under `/api/v1`: its reference, the gateway agents' endpoints and every
 * resource behind a bearer token or a dashboard session. Building it starts nothing.
 */
export function apiApp(deps: AppDeps, adminLoginThrottle: LoginThrottle) {
  const api = new OpenAPIHono<AppEnv>();
  api.route('/auth', authApi(deps, adminLoginThrottle));

  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'API token (`gth_…`) from POST /api/v1/tokens',
  });
  api.openAPIRegistry.registerComponent('securitySchemes', 'gatewayToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'Gateway agent token (`gtw_…`), shown when the gateway is created or its token rotated',
  });
  // Registered before the secured sub-app: its auth middleware would otherwise claim these paths.
  const document = () => api.getOpenAPI31Document({ openapi: '3.1.0', info: API_INFO, servers: [{ url: '/api/v1' }] });
  // The reference maps the whole attack surface: public only when an admin turns `api_docs_public` on.
  const docsAccess: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (await apiDocsPublic(deps.db)) return next();
    return authenticate(deps)(c, async () => {
      await authorize()(c, next);
    });
  };
  api.get('/openapi.json', docsAccess, (c) => c.json(document()));
  api.get('/docs', docsAccess, (c) => c.html(renderReference(document())));

  // Gateway agents authenticate with their own token, not the admin auth below.
  api.route('/gateway', gatewaySyncApi(deps));

  // Everything below needs a bearer token or a dashboard session.
  const secured = new OpenAPIHono<AppEnv>();
  secured.use('*', authenticate(deps));
  // Every operation's least role comes from one table (src/http/permissions.ts); unlisted ones need owner.
  secured.use('*', authorize());
  secured.route('/tokens', tokensApi());
  secured.route('/users', usersApi(deps));
  secured.route('/identity-providers', identityProvidersApi());
  secured.route('/routes', routesApi());
  secured.route('/routes', routeAuthUsersApi());
  secured.route('/routes', routeShareLinksApi());
  secured.route('/routes', routeAppTokensApi());
  secured.route('/settings', settingsApi());
  secured.route('/tls', tlsApi());
  secured.route('/health', healthApi(deps));
  secured.route('/status', statusApi());
  secured.route('/peers', peersApi(deps));
  secured.route('/policies', policiesApi());
  secured.route('/gateways', gatewaysApi(deps));
  secured.route('/audit', auditApi());
  secured.route('/alerts', alertsApi(deps));
  secured.route('/access-log', accessLogApi(deps));
  secured.route('/config', configApi(deps.peers));
  secured.route('/backups', backupsApi());
  secured.get('/me', (c) => c.json({ actor: c.get('actor') }));
  api.route('/', secured);
  return api;
}
