import * as OTPAuth from 'otpauth';
import { renderQr } from '../../wireguard/qr.ts';

const PERIOD = 30;

/** A new TOTP secret and how to enroll it: the otpauth URI and its QR code (SVG). Shown once. */
export async function newTotpEnrollment(opts: { issuer: string; label: string }) {
  const secret = new OTPAuth.Secret({ size: 20 });
  const totp = new OTPAuth.TOTP({
    issuer: opts.issuer,
    label: opts.label,
    secret,
    digits: 6,
    period: PERIOD,
    algorithm: 'SHA1',
  });
  const uri = totp.toString();
  const qr = await renderQr(uri, 'svg');
  return { secret: secret.base32, otpauth_uri: uri, qr_svg: qr.body as string };
}

/**
 * The time step a code belongs to (±1 step of clock drift), or null when it is wrong. Callers refuse a
 * step at or below the last one accepted, so a code seen once cannot be replayed.
 */
export function totpCounter(secret: string, code: string, now: Date): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: PERIOD });
  const delta = totp.validate({ token: code, window: 1, timestamp: now.getTime() });
  return delta === null ? null : Math.floor(now.getTime() / 1000 / PERIOD) + delta;
}
