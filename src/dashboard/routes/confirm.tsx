import type { Context } from 'hono';
import { listAuthUsers } from '../../services/route-auth/list-users.ts';
import { getRoute } from '../../services/routes/read.ts';
import { ConfirmPage, count } from '../shared/confirm.tsx';
import { meta, page } from '../shared/render.ts';
import type { DashEnv } from '../shared/session.ts';

/** "Delete route?": what stops answering, and the route users (with their TOTP) deleted with it. */
export async function confirmRouteDelete(c: Context<DashEnv>, id: number) {
  const ctx = c.get('ctx');
  const route = await getRoute({ ctx, input: { id } });
  const lines = [
    route.type === 'http'
      ? `${route.domain ?? 'Its domain'} stops answering: visitors get no site, and its certificate is no longer renewed.`
      : `${route.l4_protocol ?? 'tcp'} port ${route.l4_listen_port ?? '?'} closes on the server; open connections are cut.`,
  ];
  if (route.type === 'http') {
    const users = (await listAuthUsers({ ctx, input: { routeId: id } })).data.length;
    if (users) lines.push(`${count(users, 'route user')} of its login page are deleted with it.`);
  }
  if (route.acl_enabled && route.acl_peers.length)
    lines.push(`Its ACL (${count(route.acl_peers.length, 'entry', 'entries')}) and other access rules are deleted.`);
  return page(
    c,
    <ConfirmPage
      meta={meta(c, `Delete route ${route.name}?`, '/routes')}
      action={`/routes/${id}/delete`}
      verb={`Delete ${route.name}`}
      consequences={lines}
      cancelHref={`/routes/${id}`}
    />,
  );
}
