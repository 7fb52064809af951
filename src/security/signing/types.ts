/**
 * One interface for every message signature the hub speaks with partners [003-7.2] [000-15]:
 * detached signatures carried in a header (HMAC, RSA, ECDSA over the raw body) and signatures
 * enveloped in the document itself (XML-DSig). Verification never throws for a bad message; it
 * answers with a stable failure code the caller can log, count and map to its own error.
 */

export type SchemeId =
  | 'hmac-sha256-hex'
  | 'hmac-sha256-hex-upper'
  | 'hmac-sha256-base64'
  | 'rsa-sha256-pkcs1'
  | 'rsa-sha256-pss'
  | 'ecdsa-p256-sha256'
  | 'xmldsig-rsa-sha256';

export type SignatureFailureCode =
  /** No signature where one is required. */
  | 'signature_missing'
  /** The signature is not in the scheme's encoding (wrong length, not hex/base64). */
  | 'signature_malformed'
  /** Well-formed but made with another key, or the message changed. */
  | 'signature_mismatch'
  /** No key to verify with: no trusted certificate, or all are revoked or out of validity. */
  | 'key_unavailable'
  /** XML with a DTD or entity declarations (XXE, entity expansion): refused unread. */
  | 'xml_unsafe'
  /** Not well-formed XML. */
  | 'xml_malformed'
  /** The XML signature is not shaped as we accept it (several, misplaced, partial reference). */
  | 'xml_signature_structure'
  /** An algorithm outside the allow-list (e.g. SHA-1, inclusive c14n). */
  | 'algorithm_not_allowed';

export type Bytes = string | Buffer;

export interface Signed {
  /** The message to send: the input itself for detached schemes, the signed document for enveloped ones. */
  body: Bytes;
  /** The header carrying a detached signature; absent for enveloped schemes. */
  header?: { name: string; value: string };
}

export type Verified =
  | {
      ok: true;
      /**
       * What the caller may read: the body for detached schemes; for XML-DSig, the canonical XML
       * of exactly what the signature covers (so the element read is the element signed).
       */
      content: Bytes;
      /** Which trusted key verified it (certificate id or key label), when the scheme knows. */
      keyId?: string;
    }
  | { ok: false; code: SignatureFailureCode; message: string };

export interface SignatureScheme {
  readonly id: SchemeId;
  /** `header` for detached schemes, `enveloped` when the signature travels inside the body. */
  readonly placement: 'header' | 'enveloped';
  /** Throws when the scheme has no signing key (a verify-only scheme). */
  sign(body: Bytes): Signed;
  /** `signature` is the header value for detached schemes and ignored for enveloped ones. */
  verify(body: Bytes, signature?: string): Verified;
}

/** A public key the verifier trusts, labelled for logs (a certificate id, never key material). */
export interface TrustedKey {
  id: string;
  /** PEM certificate or SPKI public key. */
  pem: string;
}

export class SigningUnavailableError extends Error {
  readonly code = 'signing_key_unavailable';
  constructor(message: string) {
    super(message);
    this.name = 'SigningUnavailableError';
  }
}

export const fail = (code: SignatureFailureCode, message: string): Verified => ({ ok: false, code, message });

export const asBuffer = (body: Bytes): Buffer =>
  typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
