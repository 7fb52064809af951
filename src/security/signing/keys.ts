/**
 * Key plumbing shared by the public-key schemes: keys come as PEM, KeyObject, or a function
 * that returns the current one (so a key ring can revoke or rotate under a live scheme), and
 * each scheme accepts only the key type it is defined for.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { SigningUnavailableError, type TrustedKey } from './types.js';

export type KeySource = string | KeyObject | (() => KeyObject);
export type TrustedSource = readonly TrustedKey[] | (() => readonly TrustedKey[]);

export type KeyKind = 'rsa' | 'ec-p256';

export function resolvePrivateKey(source: KeySource | undefined, kind: KeyKind, scheme: string): KeyObject {
  if (source === undefined) throw new SigningUnavailableError(`${scheme}: this scheme has no signing key`);
  const key =
    typeof source === 'function' ? source() : typeof source === 'string' ? createPrivateKey(source) : source;
  if (key.type !== 'private')
    throw new SigningUnavailableError(`${scheme}: the signing key is not a private key`);
  assertKind(key, kind, scheme);
  return key;
}

export function resolveTrusted(source: TrustedSource | undefined): readonly TrustedKey[] {
  if (source === undefined) return [];
  return typeof source === 'function' ? source() : source;
}

/** The public key of a trusted PEM (certificate or SPKI), or undefined when it is of another kind. */
export function publicKeyOf(trusted: TrustedKey, kind: KeyKind): KeyObject | undefined {
  let key: KeyObject;
  try {
    key = createPublicKey(trusted.pem);
  } catch {
    return undefined;
  }
  return isKind(key, kind) ? key : undefined;
}

function isKind(key: KeyObject, kind: KeyKind): boolean {
  const details = key.asymmetricKeyDetails;
  if (kind === 'rsa') return key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048;
  return key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1';
}

function assertKind(key: KeyObject, kind: KeyKind, scheme: string): void {
  if (!isKind(key, kind)) {
    throw new SigningUnavailableError(
      `${scheme}: needs ${kind === 'rsa' ? 'an RSA key of at least 2048 bits' : 'an EC P-256 key'}`,
    );
  }
}
