import QRCode from 'qrcode';

/**
 * A wg-quick file as a QR code, the way the WireGuard mobile apps import it. Error correction L: a full
 * config with a preshared key is ~400 bytes, and L keeps the code small enough to scan from a screen.
 */
export type QrFormat = 'svg' | 'png';

export async function renderQr(
  text: string,
  format: QrFormat,
): Promise<{ body: Uint8Array | string; contentType: string }> {
  const options = { errorCorrectionLevel: 'L' as const, margin: 2 };
  if (format === 'svg') {
    return { body: await QRCode.toString(text, { ...options, type: 'svg' }), contentType: 'image/svg+xml' };
  }
  const png = await QRCode.toBuffer(text, { ...options, type: 'png', width: 512 });
  return { body: new Uint8Array(png), contentType: 'image/png' };
}
