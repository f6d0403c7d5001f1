import type { Context } from 'hono';
import type { Config } from '../../config/index.ts';
import { dashboardOrigin } from '../../http/origin.ts';
import type { RelyingParty } from '../../services/passkeys/index.ts';

/** Passkeys are bound to the dashboard's public origin (GATEHOUSE_PUBLIC_DOMAIN), or to this request's origin. */
export function relyingParty(config: Config, c: Context): RelyingParty {
  const origin = dashboardOrigin(config, c);
  return { origin, id: new URL(origin).hostname };
}
