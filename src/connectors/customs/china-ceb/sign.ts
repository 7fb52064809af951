/**
 * Signing CEB messages (加签) as the customs transfer client expects: one enveloped XML-DSig as
 * the last child of the message, inclusive C14N (REC-xml-c14n-20010315), one Reference URI=""
 * with the enveloped-signature transform and a SHA-1 digest — SHA-1 even with SM2 — and either
 * RSA-SHA1 (older UKeys) or SM2/SM3 (`http://www.w3.org/2000/09/xmldsig#sm2-sm3`, the
 * non-standard URI customs uses since 2022). KeyInfo carries KeyName (the card's certificate
 * number) and the X.509 certificate when there is one.
 *
 * Both algorithms run through xml-crypto (C14N, digest, SignedInfo); SM2/SM3 is plugged into it as
 * a signature algorithm backed by sm-crypto (GM/T 0003 SM2 over an SM3 hash with the default
 * user id 1234567812345678, DER-encoded r‖s as GM/T 0009 prescribes).
 *
 * Verification reads the one Signature that is a child of the root, allows only these
 * algorithms, and takes the key from the caller (never from KeyInfo).
 */
import type { KeyObject } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { sm2 } from 'sm-crypto';
import { SignedXml, type SignatureAlgorithm } from 'xml-crypto';

export const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const C14N = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
export const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
export const SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';
export const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
export const SM2_SM3 = 'http://www.w3.org/2000/09/xmldsig#sm2-sm3';

export type CebSignatureMethod = 'rsa-sha1' | 'sm2-sm3';

/** What signs a CEB message: RSA from the certificate store, or an SM2 key. */
export interface CebSigner {
  readonly method: CebSignatureMethod;
  /** The message with its enveloped signature added. */
  sign(xml: string): string;
}

/** What verifies one: an RSA certificate/public key (PEM), or an SM2 public key (hex, 04‖x‖y). */
export type CebVerifyKey =
  { method: 'rsa-sha1'; pem: string | KeyObject } | { method: 'sm2-sm3'; publicKeyHex: string };

export type CebVerdict = { ok: true } | { ok: false; reason: string };

const SM2_USER_ID = '1234567812345678';

/** SM2/SM3 as an xml-crypto signature algorithm; keys are hex strings carried in a wrapper. */
class Sm2Sm3 implements SignatureAlgorithm {
  getSignature(signedInfo: unknown, privateKey: unknown): string {
    const key = String(privateKey);
    const hex = sm2.doSignature(String(signedInfo), key, { hash: true, der: true, userId: SM2_USER_ID });
    return Buffer.from(hex, 'hex').toString('base64');
  }
  verifySignature(material: string, key: unknown, signatureValue: string): boolean {
    const hex = Buffer.from(signatureValue, 'base64').toString('hex');
    try {
      return sm2.doVerifySignature(material, hex, String(key), {
        hash: true,
        der: true,
        userId: SM2_USER_ID,
      });
    } catch {
      return false;
    }
  }
  getAlgorithmName() {
    return SM2_SM3 as never;
  }
}

const pemBody = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');

function keyInfo(keyName: string, certificatePem: string | undefined) {
  const name = keyName.replace(/[&<>"']/g, '');
  const cert = certificatePem
    ? `<ds:X509Data><ds:X509Certificate>${pemBody(certificatePem)}</ds:X509Certificate></ds:X509Data>`
    : '';
  return () => `<ds:KeyName>${name}</ds:KeyName>${cert}`;
}

function assertUnsigned(xml: string) {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  if (!doc.documentElement) throw new Error('cannot sign: not well-formed XML');
  if (doc.getElementsByTagNameNS(DSIG_NS, 'Signature').length > 0)
    throw new Error('cannot sign: the message already carries a signature');
}

function signWith(xml: string, method: string, privateKey: unknown, info: () => string): string {
  assertUnsigned(xml);
  const sig = new SignedXml({
    // xml-crypto passes the key through to the algorithm; for SM2 it is the hex private key.
    privateKey: privateKey as KeyObject,
    canonicalizationAlgorithm: C14N,
    signatureAlgorithm: method as never,
    getKeyInfoContent: info,
  });
  sig.SignatureAlgorithms[SM2_SM3 as never] = Sm2Sm3;
  sig.addReference({ xpath: '/*', isEmptyUri: true, digestAlgorithm: SHA1, transforms: [ENVELOPED] });
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: '/*', action: 'append' } });
  return sig.getSignedXml();
}

export function rsaSha1Signer(o: {
  key: () => KeyObject;
  certificatePem?: () => string | undefined;
  keyName: () => string;
}): CebSigner {
  return {
    method: 'rsa-sha1',
    sign: (xml) => signWith(xml, RSA_SHA1, o.key(), keyInfo(o.keyName(), o.certificatePem?.())),
  };
}

export function sm2Signer(o: { privateKeyHex: string; keyName: string; certificatePem?: string }): CebSigner {
  if (!/^[0-9a-fA-F]{64}$/.test(o.privateKeyHex)) throw new Error('an SM2 private key is 32 bytes of hex');
  return {
    method: 'sm2-sm3',
    sign: (xml) => signWith(xml, SM2_SM3, o.privateKeyHex, keyInfo(o.keyName, o.certificatePem)),
  };
}

function one(doc: ReturnType<DOMParser['parseFromString']>, local: string) {
  return Array.from(doc.getElementsByTagNameNS(DSIG_NS, local));
}

/** Verifies a signed CEB message with the key given; a changed byte anywhere fails. */
export function verifyCebSignature(xml: string, key: CebVerifyKey): CebVerdict {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return { ok: false, reason: 'a DTD is refused' };
  let doc;
  try {
    doc = new DOMParser({
      onError: (level, msg) => {
        if (level !== 'warning') throw new Error(msg);
      },
    }).parseFromString(xml, 'text/xml');
  } catch {
    return { ok: false, reason: 'not well-formed XML' };
  }
  const root = doc.documentElement;
  const sigs = one(doc, 'Signature');
  if (!root || sigs.length !== 1) return { ok: false, reason: 'exactly one signature is required' };
  if (sigs[0]!.parentNode !== root) return { ok: false, reason: 'the signature must be a child of the root' };
  if (one(doc, 'Reference').length !== 1 || one(doc, 'SignedInfo').length !== 1)
    return { ok: false, reason: 'exactly one SignedInfo with one Reference is required' };
  const alg = (local: string) => one(doc, local)[0]?.getAttribute('Algorithm');
  const method = key.method === 'rsa-sha1' ? RSA_SHA1 : SM2_SM3;
  if (alg('SignatureMethod') !== method)
    return { ok: false, reason: `the signature method must be ${method}` };
  if (alg('CanonicalizationMethod') !== C14N)
    return { ok: false, reason: 'the canonicalization must be C14N 1.0' };
  if (alg('DigestMethod') !== SHA1) return { ok: false, reason: 'the digest must be SHA-1' };
  if (one(doc, 'Reference')[0]!.getAttribute('URI') !== '')
    return { ok: false, reason: 'the reference must cover the whole message' };
  const check = new SignedXml({
    publicCert: (key.method === 'rsa-sha1' ? key.pem : key.publicKeyHex) as KeyObject,
    getCertFromKeyInfo: () => null,
  });
  check.SignatureAlgorithms[SM2_SM3 as never] = Sm2Sm3;
  try {
    check.loadSignature(sigs[0]!.toString());
    return check.checkSignature(xml) ? { ok: true } : { ok: false, reason: 'the signature does not match' };
  } catch (err) {
    return { ok: false, reason: `the signature does not match (${(err as Error).message.slice(0, 120)})` };
  }
}
