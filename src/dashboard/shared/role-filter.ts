import { type AdminRole, roleAtLeast } from '../../auth/roles.ts';
import { DASHBOARD_PERMISSIONS, permissionFor } from '../../http/permissions.ts';

/** The dashboard's permission table (src/http/permissions.ts) asked for one role. */
export function roleMay(role: AdminRole, method: 'GET' | 'POST', path: string): boolean {
  const need = permissionFor(DASHBOARD_PERMISSIONS, method, path.split('?')[0] ?? path);
  return need === 'public' || (need !== 'gateway' && roleAtLeast(role, need));
}

const POST_FORM = /<form\b[^>]*\bmethod="post"[^>]*\baction="(\/[^"]*)"[^>]*>[\s\S]*?<\/form>/g;
const LINK = /<a\b[^>]*\bhref="(\/[^"]*)"[^>]*>[\s\S]*?<\/a>/g;

/**
 * Takes out of a rendered page every form the role could not submit and every link it could not follow, so a
 * viewer sees no write buttons. The same table refuses the requests themselves (requireSession); this is only
 * what the page shows. Our pages never nest forms or links, which is what the patterns rely on.
 */
export function withoutForbidden(html: string, role: AdminRole): string {
  if (role === 'owner') return html;
  return html
    .replace(POST_FORM, (whole, action: string) => (roleMay(role, 'POST', decode(action)) ? whole : ''))
    .replace(LINK, (whole, href: string) => (roleMay(role, 'GET', decode(href)) ? whole : ''));
}

const decode = (s: string) => s.replaceAll('&amp;', '&');
