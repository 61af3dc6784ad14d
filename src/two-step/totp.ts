import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

/** RFC 6238 with what every authenticator app expects: SHA-1, 6 digits, 30 s. */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** One step either side: a phone clock up to 30 s off still works (RFC 6238 §5.2). */
const DRIFT_STEPS = 1;
/** 160 bits, the HMAC-SHA-1 key length RFC 4226 §4 recommends. */
const SECRET_BYTES = 20;

export const TOTP_CODE_PATTERN = /^\d{6}$/;

function totpFor(secretBase32: string, label = ''): TOTP {
  return new TOTP({
    issuer: 'Gatehouse',
    label,
    secret: Secret.fromBase32(secretBase32),
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_SECONDS,
  });
}

/** A fresh random TOTP secret, base32 as people type it into an app. */
export function generateTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/**
 * The time step a 6-digit code belongs to, if it is right for `now` or one
 * step either side; null otherwise. The caller refuses a step already used.
 */
export function matchTotpStep(secretBase32: string, code: string, now: Date): number | null {
  if (!TOTP_CODE_PATTERN.test(code)) return null;
  const timestamp = now.getTime();
  const delta = totpFor(secretBase32).validate({ token: code, timestamp, window: DRIFT_STEPS });
  if (delta === null) return null;
  return TOTP.counter({ period: PERIOD_SECONDS, timestamp }) + delta;
}

/** The otpauth:// URI authenticator apps read from the QR code. */
export function totpUri(secretBase32: string, accountName: string): string {
  return totpFor(secretBase32, accountName).toString();
}

/**
 * The QR code of the URI as an SVG data: URI, drawn on the server: the page
 * needs no script, and the CSP already allows data: images.
 */
export async function totpQrDataUri(uri: string): Promise<string> {
  const svg = await QRCode.toString(uri, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
}

/** The secret in groups of four, easier to read and type. */
export function groupSecret(secretBase32: string): string {
  return secretBase32.replace(/(.{4})(?=.)/g, '$1 ');
}
