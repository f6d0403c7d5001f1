// Real: the dashboard's route form mapping for gateway pools, the shared zod schema, and the route page's pool
// section rendered by Hono JSX. Simulated: forms are the records Hono's body parser produces; gateways are objects.
import { describe, expect, it } from 'vitest';
import { routeInput } from '../../src/dashboard/routes/input.ts';
import { PoolStateSection } from '../../src/dashboard/routes/parts/pool-state.tsx';
import { routeValues } from '../../src/dashboard/routes/values.ts';
import { toFormErrors } from '../../src/dashboard/shared/forms.ts';
import { ValidationError } from '../../src/errors.ts';
import type { PublicGateway } from '../../src/schemas/gateways.ts';
import { CreateRouteSchema } from '../../src/schemas/routes.ts';
import { toPublicRoute } from '../../src/services/routes/public.ts';
import { routeRow } from '../helpers/factories.ts';

const form = {
  type: 'l4',
  target_kind: 'gateway',
  gateway_id: '3',
  target_lan_host: '192.168.1.5',
  target_lan_port: '22',
  l4_listen_port: '2222',
  pool_gateway_id: ['4', '', ''],
  pool_lan_host: ['192.168.1.6', '', ''],
  pool_lan_port: ['22', '', ''],
  pool_mode: 'balance',
  pool_balance: 'client_hash',
  pool_healthy_after: '3',
  pool_check_interval_seconds: '',
};

describe('route form: gateway pool', () => {
  it('reads member rows (blank rows ignored), mode and balance; empty numbers take the defaults', () => {
    const fields = CreateRouteSchema.parse(routeInput(form));
    expect(fields.pool).toEqual({
      mode: 'balance',
      balance: 'client_hash',
      members: [{ gateway_id: 4, target_lan_host: '192.168.1.6', target_lan_port: 22 }],
      healthy_after: 3,
      check_interval_seconds: 5,
    });
    // No member rows, or a target that is not a gateway: no pool.
    expect(routeInput({ ...form, pool_gateway_id: '', pool_lan_host: '', pool_lan_port: '' }).pool).toBeNull();
    expect(routeInput({ ...form, target_kind: 'direct' }).pool).toBeNull();
  });

  it('round-trips a stored pool through the form values', () => {
    const route = toPublicRoute(
      routeRow({
        id: 9,
        type: 'l4',
        targetKind: 'gateway',
        gatewayId: 3,
        targetLanHost: '192.168.1.5',
        targetLanPort: 22,
        l4ListenPortStart: 2222,
        l4ListenPortEnd: 2222,
        pool: CreateRouteSchema.parse(routeInput(form)).pool!,
      }),
    );
    expect(CreateRouteSchema.parse(routeInput(routeValues(route))).pool).toEqual(route.pool);
  });

  it('hostile member values get errors on their own row', () => {
    const parsed = CreateRouteSchema.safeParse(
      routeInput({ ...form, pool_gateway_id: ['x'], pool_lan_port: ['99999'], pool_mode: 'chaos' }),
    );
    expect(parsed.success).toBe(false);
    const fields = parsed.error!.issues.map((i) => i.path.join('.'));
    expect(fields).toEqual(
      expect.arrayContaining(['pool.members.0.gateway_id', 'pool.members.0.target_lan_port', 'pool.mode']),
    );
    const errors = toFormErrors(new ValidationError([{ field: 'pool.members.0.target_lan_host', message: 'bad' }]), [
      'pool',
    ]);
    expect(errors.fields['pool.members.0.target_lan_host'] ?? errors.summary).toBeTruthy();
  });

  it("the route page shows each member's state from the agents' reports", () => {
    const route = toPublicRoute(
      routeRow({
        id: 9,
        type: 'l4',
        targetKind: 'gateway',
        gatewayId: 3,
        targetLanHost: '192.168.1.5',
        targetLanPort: 22,
        pool: {
          mode: 'failover',
          balance: 'round_robin',
          healthy_after: 2,
          check_interval_seconds: 5,
          members: [
            { gateway_id: 4, target_lan_host: '192.168.1.6', target_lan_port: 22 },
            { gateway_id: 5, target_lan_host: '192.168.1.7', target_lan_port: 22 },
          ],
        },
      }),
    );
    const gw = (id: number, online: boolean, reachable = true) =>
      ({
        id,
        name: `<b>site${id}</b>`,
        online,
        listeners: [],
        targets: [{ route_id: 9, reachable, error: reachable ? undefined : 'ECONNREFUSED' }],
      }) as unknown as PublicGateway;
    const html = String(PoolStateSection({ route, gateways: [gw(3, true), gw(4, false), gw(5, true, false)] }));
    expect(html).toContain('Failover in this order');
    expect(html).toContain('in rotation');
    expect(html).toContain('out: offline');
    expect(html).toContain('out: target unreachable: ECONNREFUSED');
    // Gateway names are text, never markup.
    expect(html).not.toContain('<b>site3</b>');
  });
});
