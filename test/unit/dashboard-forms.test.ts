// Real: the dashboard's form mapping and the shared zod schemas, the JSX chart renderer. Simulated: nothing
// runs a server or a browser here; forms are the records Hono's body parser produces.
import { describe, expect, it } from 'vitest';
import { TrafficChart } from '../../src/dashboard/peers/parts/traffic-chart.tsx';
import { routeInput } from '../../src/dashboard/routes/input.ts';
import { toFormErrors } from '../../src/dashboard/shared/forms.ts';
import { ConflictError, UpstreamRejectedError, ValidationError } from '../../src/errors.ts';
import { CreateRouteSchema } from '../../src/schemas/routes.ts';

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
