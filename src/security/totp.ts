/**
 * TOTP second factor (RFC 6238) for people's logins [003-5.1] "login with password and code".
 * SHA-1, 6 digits, 30-second steps: the parameters every authenticator app reads from an
 * otpauth:// URI. A code is accepted one step early or late (clock drift), and the caller
 * records the step it matched so the same code cannot be used twice.
 */
import { Secret, TOTP } from 'otpauth';

const PERIOD_S = 30;
const DIGITS = 6;

function totpFor(secretBase32: string, label = 'account', issuer = 'Waygate'): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_S,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** A fresh 160-bit secret, base32 (the size RFC 4226 recommends). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function totpUri(secretBase32: string, account: string, issuer: string): string {
  return totpFor(secretBase32, account, issuer).toString();
}

/** The time step a valid code belongs to (±1 step of `nowMs`), or undefined. */
export function matchTotp(secretBase32: string, code: string, nowMs: number): number | undefined {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  const totp = totpFor(secretBase32);
  const delta = totp.validate({ token, timestamp: nowMs, window: 1 });
  if (delta === null) return undefined;
  return totp.counter({ timestamp: nowMs }) + delta;
}

/** The code for a moment (what the user's app shows; used by tests and diagnostics). */
export function totpCode(secretBase32: string, nowMs: number): string {
  return totpFor(secretBase32).generate({ timestamp: nowMs });
}
