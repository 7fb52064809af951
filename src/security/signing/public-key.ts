/**
 * Detached public-key signatures over the raw body, base64 in a header: RSA-SHA256 with
 * PKCS#1 v1.5 or PSS padding (salt length = digest length, the RFC 8017 / JWS PS256 choice),
 * and ECDSA P-256 SHA-256 (DER by default, as `openssl dgst` makes it; raw r||s on request,
 * as JWS ES256 does). The verifier tries each trusted key, so a partner rotating its
 * certificate keeps working while both are registered.
 */
import { constants, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import {
  publicKeyOf,
  resolvePrivateKey,
  resolveTrusted,
  type KeyKind,
  type KeySource,
  type TrustedSource,
} from './keys.js';
import { asBuffer, fail, type SchemeId, type SignatureScheme, type Verified } from './types.js';

export interface PublicKeySchemeOptions {
  /** Private key to sign with; omit for a verify-only scheme. */
  signingKey?: KeySource;
  /** Public keys or certificates (PEM) to verify with. */
  trusted?: TrustedSource;
  /** Header the signature travels in (default `X-Signature`). */
  header?: string;
}

export interface EcdsaOptions extends PublicKeySchemeOptions {
  /** `der` (default) or `ieee-p1363` (fixed 64-byte r||s). */
  encoding?: 'der' | 'ieee-p1363';
}

type Padding = { padding?: number; saltLength?: number; dsaEncoding?: 'der' | 'ieee-p1363' };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Longer than any RSA-4096 or ECDSA signature in base64: anything beyond is not ours. */
const MAX_SIGNATURE_CHARS = 1024;

function publicKeyScheme(
  id: SchemeId,
  kind: KeyKind,
  params: Padding,
  opts: PublicKeySchemeOptions,
  verifyParams: Padding = params,
): SignatureScheme {
  const header = opts.header ?? 'X-Signature';
  return {
    id,
    placement: 'header',
    sign(body) {
      const key = resolvePrivateKey(opts.signingKey, kind, id);
      const value = cryptoSign('sha256', asBuffer(body), { key, ...params }).toString('base64');
      return { body, header: { name: header, value } };
    },
    verify(body, signature): Verified {
      if (signature === undefined || signature.trim() === '')
        return fail('signature_missing', `no ${header}`);
      const given = signature.trim();
      if (given.length > MAX_SIGNATURE_CHARS || given.length % 4 !== 0 || !BASE64.test(given)) {
        return fail('signature_malformed', `${header} is not a base64 signature`);
      }
      const keys = resolveTrusted(opts.trusted).flatMap((t) => {
        const key = publicKeyOf(t, kind);
        return key ? [{ id: t.id, key }] : [];
      });
      if (keys.length === 0) return fail('key_unavailable', `${id}: no trusted key to verify with`);
      const sig = Buffer.from(given, 'base64');
      const data = asBuffer(body);
      for (const { id: keyId, key } of keys) {
        if (cryptoVerify('sha256', data, { key, ...verifyParams }, sig))
          return { ok: true, content: body, keyId };
      }
      return fail('signature_mismatch', `${header} was not made over this body by a trusted key`);
    },
  };
}

export const rsaPkcs1Scheme = (opts: PublicKeySchemeOptions): SignatureScheme =>
  publicKeyScheme('rsa-sha256-pkcs1', 'rsa', { padding: constants.RSA_PKCS1_PADDING }, opts);

export const rsaPssScheme = (opts: PublicKeySchemeOptions): SignatureScheme =>
  publicKeyScheme(
    'rsa-sha256-pss',
    'rsa',
    { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
    opts,
    // Partners' libraries differ in salt length (digest length or maximum); the salt is
    // recovered from the signature, so any length verifies.
    { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
  );

export const ecdsaP256Scheme = (opts: EcdsaOptions): SignatureScheme =>
  publicKeyScheme('ecdsa-p256-sha256', 'ec-p256', { dsaEncoding: opts.encoding ?? 'der' }, opts);
