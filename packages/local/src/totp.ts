/**
 * TOTP (RFC 6238) as Cognito's software-token MFA uses it: SHA-1, 6 digits, 30-second steps,
 * a code of the previous or next step accepted too (±1 step, for clocks a little apart).
 *
 * Every function takes the time explicitly (epoch milliseconds): the local issuer runs on an
 * injectable clock — the controllable clock in the workflow tests — and a code must be
 * computed and checked on the same clock, never on otpauth's default `Date.now`.
 *
 * Used by the local issuer (auth.ts), the tests' sign-in helpers and `npm run totp`.
 */
import { Secret, TOTP } from "otpauth";

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps either side of now whose code is accepted. */
export const TOTP_WINDOW = 1;
/** The name authenticator apps show above the code. */
export const TOTP_ISSUER = "Carebook (local)";

function totpOf(secret: string, label = "carebook"): TOTP {
  return new TOTP({
    issuer: TOTP_ISSUER,
    label,
    algorithm: "SHA1",
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    secret: Secret.fromBase32(secret),
  });
}

/** The time step `atMs` falls in (RFC 6238's T). */
export function totpStep(atMs: number): number {
  return Math.floor(atMs / 1000 / TOTP_PERIOD_SECONDS);
}

/** Epoch milliseconds at which `step` begins. */
export function totpStepStart(step: number): number {
  return step * TOTP_PERIOD_SECONDS * 1000;
}

/** The 6-digit code of a base32 secret at `atMs`. */
export function totpCode(secret: string, atMs: number): string {
  return totpOf(secret).generate({ timestamp: atMs });
}

/**
 * The time step whose code `code` is, within ±TOTP_WINDOW steps of `atMs`; undefined when it
 * matches none (wrong, expired or malformed). The step, not a yes/no, so the caller can refuse
 * a code that was already used (replay).
 */
export function matchTotp(secret: string, code: string, atMs: number): number | undefined {
  if (!new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(code)) return undefined;
  const delta = totpOf(secret).validate({ token: code, timestamp: atMs, window: TOTP_WINDOW });
  return delta === null ? undefined : totpStep(atMs) + delta;
}

/** Whether `secret` is usable: base32 (RFC 4648, no padding needed) of at least 80 bits. */
export function isTotpSecret(secret: string): boolean {
  if (!/^[A-Z2-7]+=*$/i.test(secret)) return false;
  try {
    return Secret.fromBase32(secret).bytes.length >= 10;
  } catch {
    return false;
  }
}

/** A fresh random secret (160 bits, as RFC 4226 recommends), base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The otpauth:// URI an authenticator app scans (as a QR code) to enrol the secret. */
export function totpUri(secret: string, account: string): string {
  return totpOf(secret, account).toString();
}
