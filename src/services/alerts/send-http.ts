import { createHmac } from 'node:crypto';
import type { ChannelConfig } from '../../schemas/alerts.ts';
import { type AlertEvent, alertText, alertTitle } from './event.ts';

export const SIGNATURE_HEADER = 'X-Gatehouse-Signature';
const USER_AGENT = 'Gatehouse-Alerts/1';

/** `sha256=<hex HMAC-SHA256 of the body>` with the channel's secret, as the receiver recomputes it. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * A header value ntfy reads: ASCII as is, anything else as an RFC 2047 encoded word (ntfy decodes those), and
 * never a line break, so a hostile subject cannot add headers.
 */
export function headerValue(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(clean) ? clean : `=?UTF-8?B?${Buffer.from(clean, 'utf8').toString('base64')}?=`;
}

interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The request one HTTP channel makes for one event. */
export function httpRequestFor(config: Exclude<ChannelConfig, { kind: 'email' }>, event: AlertEvent): HttpRequest {
  switch (config.kind) {
    case 'webhook': {
      const body = JSON.stringify({ source: 'gatehouse', ...event });
      return {
        url: config.url,
        body,
        headers: {
          'content-type': 'application/json',
          'x-gatehouse-event': event.state,
          [SIGNATURE_HEADER.toLowerCase()]: signBody(config.secret ?? '', body),
        },
      };
    }
    case 'ntfy':
      // https://docs.ntfy.sh/publish/: the body is the message; Title, Priority and Tags are headers.
      return {
        url: config.url,
        body: alertText(event),
        headers: {
          'content-type': 'text/plain; charset=utf-8',
          title: headerValue(alertTitle(event, config.title_prefix)),
          priority: String(event.state === 'resolved' || event.state === 'test' ? 3 : config.priority),
          tags: (event.state === 'resolved' ? ['white_check_mark'] : config.tags).join(','),
          ...(config.token ? { authorization: `Bearer ${config.token}` } : {}),
        },
      };
    case 'gotify': {
      // https://gotify.net/api-docs: POST /message with the application token, JSON title/message/priority.
      const base = config.url.replace(/\/+$/, '');
      return {
        url: `${base}/message`,
        body: JSON.stringify({ title: alertTitle(event), message: alertText(event), priority: config.priority }),
        headers: { 'content-type': 'application/json', 'x-gotify-key': config.token ?? '' },
      };
    }
  }
}

/**
 * Sends one request; any answer but 2xx is a failure. Redirects are never followed (a channel only reaches the
 * URL the admin entered), and the answer's body is never read: an admin learns the status code, not what a host
 * behind the URL returns (SECURITY.md, "Alerts").
 */
export async function sendHttp(req: HttpRequest, timeoutMs: number): Promise<void> {
  const res = await fetch(req.url, {
    method: 'POST',
    headers: { 'user-agent': USER_AGENT, ...req.headers },
    body: req.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.body?.cancel().catch(() => undefined);
  if (res.status >= 300 && res.status < 400) {
    throw new Error(`answered ${res.status} (a redirect); alerts only go to the URL entered, so it was not followed`);
  }
  if (res.status < 200 || res.status >= 300) throw new Error(`answered HTTP ${res.status}`);
}
