import nodemailer from 'nodemailer';
import type { ChannelConfig } from '../../schemas/alerts.ts';
import { type AlertEvent, alertText, alertTitle } from './event.ts';
import { httpRequestFor, sendHttp } from './send-http.ts';

export const SEND_TIMEOUT_MS = 10_000;

/** Delivers one event to one channel, or throws with a message for the channel's last error. */
export async function sendAlert(config: ChannelConfig, event: AlertEvent, timeoutMs = SEND_TIMEOUT_MS): Promise<void> {
  if (config.kind !== 'email') return sendHttp(httpRequestFor(config, event), timeoutMs);
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.tls === 'tls',
    requireTLS: config.tls === 'starttls',
    ignoreTLS: config.tls === 'none',
    ...(config.user ? { auth: { user: config.user, pass: config.password ?? '' } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  try {
    await transport.sendMail({
      from: config.from,
      to: config.to,
      subject: alertTitle(event),
      text: alertText(event),
      headers: { 'X-Gatehouse-Alert': `${event.state} ${event.key}`.replace(/[^\x20-\x7e]/g, '?') },
    });
  } finally {
    transport.close();
  }
}
