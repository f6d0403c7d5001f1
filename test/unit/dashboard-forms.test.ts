// Real: the dashboard's form mapping and the shared zod schemas, the JSX chart renderer. Simulated: nothing
// runs a server or a browser here; forms are the records Hono's body parser produces.
import { describe, expect, it } from 'vitest';
import { TrafficChart } from '../../src/dashboard/peers/parts/traffic-chart.tsx';
import { ROUTE_FIELDS, routeInput } from '../../src/dashboard/routes/input.ts';
import { routeValues } from '../../src/dashboard/routes/values.ts';
import { toFormErrors } from '../../src/dashboard/shared/forms.ts';
import { ConflictError, UpstreamRejectedError, ValidationError } from '../../src/errors.ts';
import { CreateRouteSchema } from '../../src/schemas/routes.ts';
import { toPublicRoute } from '../../src/services/routes/public.ts';
import { routeRow } from '../helpers/factories.ts';

describe('route form → API fields', () => {
  it('an L4 route sends only what L4 uses, and clears the HTTP-only fields', () => {
    const fields = CreateRouteSchema.parse(
      routeInput({
        type: 'l4',
        enabled: ['0', '1'],
        target_kind: 'gateway',
        gateway_id: '3',
        target_lan_host: '192.168.1.5',
        target_lan_port: '3389',
        target_host: 'left over from direct',
        target_port: '80',
        domain: 'stale.example.com',
        l4_protocol: 'tcp',
        l4_listen_port: '2000-2009',
        l4_tls_mode: 'none',
        wol_enabled: ['0', '1'],
        wol_mac: 'AA-BB-CC-DD-EE-FF',
        auth_enabled: ['0', '1'],
        acl_enabled: '0',
        acl_peers: ['2', 'tag:staff'],
        ip_filter_enabled: ['0', '1'],
        rule_type: ['cidr', 'country', 'ip'],
        rule_value: ['10.0.0.0/8', 'de', ''],
      }),
    );
    expect(fields).toMatchObject({
      type: 'l4',
      enabled: true,
      target_kind: 'gateway',
      gateway_id: 3,
      target_host: null,
      target_port: null,
      domain: null,
      l4_listen_port: { start: 2000, end: 2009 },
      wol_enabled: true,
      wol_mac: 'aa:bb:cc:dd:ee:ff',
      auth_enabled: false,
      acl_enabled: false,
      acl_peers: [2, 'tag:staff'],
      ip_filter_enabled: true,
      ip_filter_rules: [
        { type: 'cidr', value: '10.0.0.0/8' },
        { type: 'country', value: 'de' },
      ],
    });
  });

  it('an HTTP route clears the L4 fields, and keeps a stored password unless a new one is typed', () => {
    const fields = routeInput({
      type: 'http',
      enabled: ['0', '1'],
      target_kind: 'direct',
      target_host: '10.0.0.5',
      target_port: '8080',
      domain: 'app.example.com',
      l4_listen_port: '2222',
      l4_tls_mode: 'passthrough',
      auth_enabled: ['0', '1'],
      auth_password: '',
    });
    expect(fields).toMatchObject({
      l4_listen_port: null,
      l4_protocol: null,
      l4_tls_mode: null,
      proxy_protocol: 'none',
    });
    expect(fields).not.toHaveProperty('auth_password');
    expect(CreateRouteSchema.parse(fields).domain).toBe('app.example.com');
  });

  it('a port that is not a number fails in the schema, next to its field', () => {
    const parsed = CreateRouteSchema.safeParse(routeInput({ type: 'l4', target_kind: 'direct', target_port: 'abc' }));
    expect(parsed.success).toBe(false);
    const errors = toFormErrors(parsed.error, ['target_port']);
    expect(Object.keys(errors.fields)).toEqual(['target_port']);
  });
});

describe('route form: custom headers, upstreams, load balancing, health check', () => {
  const base = {
    type: 'http',
    enabled: ['0', '1'],
    target_kind: 'direct',
    target_host: '10.0.0.5',
    target_port: '8080',
    domain: 'app.example.com',
  };

  it('reads header and upstream rows (blank rows ignored), the policy and the health check', () => {
    const fields = CreateRouteSchema.parse(
      routeInput({
        ...base,
        header_name: ['X-Env', '', 'Strict-Transport-Security'],
        header_value: ['prod', '', 'max-age=300'],
        header_direction: ['request', 'request', 'response'],
        upstream_host: ['10.0.0.6', ' ', '10.0.0.7'],
        upstream_port: ['8080', '', '8081'],
        lb_policy: 'least_conn',
        health_check_enabled: ['0', '1'],
        'health_check.path': '/healthz',
        'health_check.interval_seconds': '10',
        'health_check.timeout_seconds': '',
        'health_check.expect_status': '204',
      }),
    );
    expect(fields).toMatchObject({
      custom_headers: [
        { name: 'X-Env', value: 'prod', direction: 'request' },
        { name: 'Strict-Transport-Security', value: 'max-age=300', direction: 'response' },
      ],
      upstreams: [
        { host: '10.0.0.6', port: 8080 },
        { host: '10.0.0.7', port: 8081 },
      ],
      lb_policy: 'least_conn',
      health_check: { path: '/healthz', interval_seconds: 10, timeout_seconds: 5, expect_status: 204 },
    });
  });

  it('an unticked health check is null; L4 and non-direct targets send no headers or upstreams', () => {
    const http = routeInput({ ...base, health_check_enabled: '0', 'health_check.path': '/x' });
    expect(http.health_check).toBeNull();
    const l4 = routeInput({ ...base, type: 'l4', header_name: 'X-A', header_value: 'b', upstream_host: 'h' });
    expect(l4).toMatchObject({ custom_headers: [], upstreams: [], health_check: null });
    const peer = routeInput({ ...base, target_kind: 'peer', upstream_host: '10.0.0.6', upstream_port: '80' });
    expect(peer.upstreams).toEqual([]);
  });

  it('hostile values get the API’s errors next to their own row and field', () => {
    const parsed = CreateRouteSchema.safeParse(
      routeInput({
        ...base,
        header_name: ['X-Ok', 'Bad Header:'],
        header_value: ['a\r\nSet-Cookie: x=1', 'v'],
        upstream_host: ['10.0.0.6', ''],
        upstream_port: ['70000', '80'],
        lb_policy: 'fastest',
        health_check_enabled: '1',
        'health_check.path': 'healthz',
        'health_check.interval_seconds': '1e9',
        'health_check.timeout_seconds': 'soon',
      }),
    );
    expect(parsed.success).toBe(false);
    const { fields, summary } = toFormErrors(parsed.error, ROUTE_FIELDS);
    expect(fields['custom_headers.0.value']).toBe('must not contain line breaks');
    expect(fields['custom_headers.1.name']).toBe('must be a valid header name');
    expect(fields['upstreams.0.port']).toBe('must be 1–65535');
    expect(fields['upstreams.1.host']).toBeTruthy();
    expect(fields.lb_policy).toBeTruthy();
    expect(fields['health_check.path']).toBe('must start with /');
    expect(fields['health_check.interval_seconds']).toBeTruthy();
    expect(fields['health_check.timeout_seconds']).toBeTruthy();
    expect(summary).toBe('Please correct the marked fields.');
  });

  it('a stored route becomes form values that read back to the same fields', () => {
    const stored = {
      custom_headers: [{ name: 'X-A', value: 'b', direction: 'response' as const }],
      upstreams: [{ host: '10.0.0.9', port: 9000 }],
      lb_policy: 'ip_hash' as const,
      health_check: { path: '/up', interval_seconds: 15, timeout_seconds: 3 },
    };
    const values = routeValues({
      ...toPublicRoute(
        routeRow({ id: 7, type: 'http', domain: 'app.example.com', targetHost: '10.0.0.5', targetPort: 80 }),
      ),
      ...stored,
    });
    expect(routeInput(values)).toMatchObject(stored);
  });
});

describe('errors → form', () => {
  it('a conflict carries the field, the other route and the suggested port', () => {
    const err = new ConflictError('listen port 2222/tcp conflicts with route 4', {
      field: 'l4_listen_port',
      conflicting_route_id: 4,
      suggested_port: '2223',
    });
    expect(toFormErrors(err, ['l4_listen_port'])).toEqual({
      fields: { l4_listen_port: 'listen port 2222/tcp conflicts with route 4' },
      summary: 'Please correct the marked fields.',
      suggestedPort: '2223',
      conflictRouteId: 4,
    });
  });

  it('validation issues for fields the form does not show go to the summary', () => {
    const errors = toFormErrors(
      new ValidationError([
        { field: 'domain', message: 'is required' },
        { field: 'upstreams.0.host', message: 'is link-local' },
        { field: 'ip_filter_rules.1.value', message: 'not a CIDR' },
      ]),
      ['domain', 'ip_filter_rules'],
    );
    expect(errors.fields).toEqual({ domain: 'is required', 'ip_filter_rules.1.value': 'not a CIDR' });
    expect(errors.summary).toContain('upstreams.0.host: is link-local');
  });

  it("Caddy's own listen failure lands on the listen port field", () => {
    const err = new UpstreamRejectedError('rejected', {
      data_plane_errors: [{ path: 'routes[2].l4.ports[0].port', message: 'address already in use' }],
    });
    expect(toFormErrors(err, ['l4_listen_port']).fields.l4_listen_port).toContain('address already in use');
  });
});

describe('traffic chart', () => {
  it('draws received and sent as two lines with a text alternative', async () => {
    const points = [0, 1, 2].map((i) => ({
      at: new Date(Date.UTC(2026, 0, 1, 12, i)).toISOString(),
      rx_bytes: 1000 * i,
      tx_bytes: 2048,
    }));
    const html = String(await TrafficChart({ points, intervalSeconds: 60 }));
    expect(html.match(/<polyline/g)).toHaveLength(2);
    expect(html).toContain('role="img"');
    expect(html).toMatch(/aria-label="Traffic from 12:00 to 12:02 UTC: received 2\.9 KiB, sent 6\.0 KiB/);
  });

  it('says so when there are too few samples', async () => {
    const html = String(await TrafficChart({ points: [], intervalSeconds: 60 }));
    expect(html).not.toContain('<svg');
    expect(html).toContain('one every 60 s');
  });
});
