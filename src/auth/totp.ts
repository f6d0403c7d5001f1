import * as OTPAuth from 'otpauth';
import QRCode from 'qrcode';

/**
 * TOTP (RFC 6238) for every second factor: admins (dashboard and API) and route users. Codes are what every
 * authenticator app expects (SHA-1, 6 digits, 30 s). A code is accepted for its time step ±1 (clock drift),
 * and each caller stores the last step it accepted and refuses any step at or below it (`isFreshStep`), so a
 * code seen once — on the wire, over a shoulder — cannot be used again.
 */
const DIGITS = 6;
const PERIOD = 30;

function totp(secret: OTPAuth.Secret, label?: { issuer: string; label: string }) {
  return new OTPAuth.TOTP({ ...label, secret, digits: DIGITS, period: PERIOD, algorithm: 'SHA1' });
}

/**
 * How to enroll a secret: its base32 form, the otpauth URI and that URI as a QR code (SVG). A new secret
 * unless `secret` (base32) is given, e.g. a pending enrollment shown again.
 */
export async function totpEnrollment(opts: { issuer: string; label: string; secret?: string | null | undefined }) {
  const secret = opts.secret ? OTPAuth.Secret.fromBase32(opts.secret) : new OTPAuth.Secret({ size: 20 });
  const uri = totp(secret, { issuer: opts.issuer, label: opts.label }).toString();
  const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret: secret.base32, otpauth_uri: uri, qr_svg: qrSvg };
}

/** The time step a code belongs to, or null when it is not a current code of the secret. Spaces are ignored. */
export function totpStep(secret: string, code: string, now: Date): number | null {
  const token = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const delta = totp(OTPAuth.Secret.fromBase32(secret)).validate({ token, window: 1, timestamp: now.getTime() });
  return delta === null ? null : Math.floor(now.getTime() / 1000 / PERIOD) + delta;
}

/** A step may be accepted only when it is later than the last one accepted (null: none yet). */
export function isFreshStep(step: number | null, lastStep: number | null): step is number {
  return step !== null && (lastStep === null || step > lastStep);
}
