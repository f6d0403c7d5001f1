import type { Context } from 'hono';
import type { PageMeta } from './layout.tsx';
import { withoutForbidden } from './role-filter.ts';
import type { DashEnv } from './session.ts';

/**
 * Scripts and styles come from our own origin only; inline SVG (QR codes, charts) is markup, not script.
 * Nothing may frame the dashboard.
 */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function secureHeaders(c: Context) {
  c.header('Content-Security-Policy', CSP);
  c.header('X-Frame-Options', 'DENY');
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'same-origin');
}

/** Flash messages are fixed texts picked by a code in the URL, so a link cannot put words on our pages. */
const FLASH: Record<string, string> = {
  'peer-created': 'Peer created.',
  'peer-saved': 'Peer saved.',
  'peer-deleted': 'Peer deleted.',
  'peer-enabled': 'Peer enabled.',
  'peer-disabled': 'Peer disabled.',
  'route-created': 'Route created.',
  'route-saved': 'Route saved.',
  'route-deleted': 'Route deleted.',
  'connection-ended': 'Connection ended.',
  'policy-created': 'Policy created.',
  'policy-saved': 'Policy saved. Every route using it changed with it.',
  'policy-deleted': 'Policy deleted.',
  'route-user-added': 'User added.',
  'route-user-removed': 'User removed. Their sessions have ended.',
  'token-revoked': 'Token revoked. It stops working at once.',
  'totp-enabled': 'TOTP is on. The next login asks for a code.',
  'totp-disabled': 'TOTP is off.',
  'password-changed': 'Password changed. Every other session of yours has ended.',
  'gateway-created': 'Gateway created.',
  'gateway-saved': 'Gateway saved.',
  'gateway-rotated': 'Token rotated. The old token no longer works.',
  'gateway-deleted': 'Gateway deleted.',
  'settings-saved': 'Settings saved.',
  'user-invited': 'User invited. Give them the link below; it is shown only this once.',
  'user-saved': 'User saved.',
  'user-deleted': 'User deleted. Their API tokens are revoked.',
  'invite-accepted': 'Your password is set. Log in with it.',
  'passkey-added': 'Passkey added.',
  'passkey-removed': 'Passkey removed.',
  'test-queued': 'Test notice queued; its outcome shows as the channel’s last delivery.',
  'channel-deleted': 'Alert channel deleted.',
};

export function meta(c: Context<DashEnv>, title: string, path = c.req.path): PageMeta {
  const code = c.req.query('done');
  return {
    title,
    path,
    username: c.get('username'),
    role: c.get('role'),
    csrf: c.get('csrfToken'),
    // `?done=` comes from the URL: only the table's own keys count, not what its prototype answers.
    flash: code && Object.hasOwn(FLASH, code) ? FLASH[code] : undefined,
  };
}

export async function page(c: Context, node: unknown, status: 200 | 201 | 403 | 404 | 409 | 422 | 503 = 200) {
  secureHeaders(c);
  const html = String(await Promise.resolve(node as string));
  const role = (c as Context<DashEnv>).get('role');
  return c.html(`<!doctype html>${role ? withoutForbidden(html, role) : html}`, status);
}
