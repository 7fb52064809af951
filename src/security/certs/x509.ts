/**
 * Key pairs, PKCS#10 requests and certificate parsing with @peculiar/x509 over Node's WebCrypto.
 * @peculiar/x509 needs a Reflect metadata polyfill loaded before it; importing it only through
 * this module keeps that order in one place.
 */
import 'reflect-metadata';
import { createHash, createPrivateKey, createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { WaygateError } from '../../domain/errors.js';
import type { KeyAlg } from '../../store/certs-schema.js';

export const CREATABLE_ALGS = ['rsa-2048', 'rsa-3072', 'ecdsa-p256'] as const satisfies readonly KeyAlg[];
export type CreatableAlg = (typeof CREATABLE_ALGS)[number];

export const isCreatableAlg = (v: string): v is CreatableAlg =>
  (CREATABLE_ALGS as readonly string[]).includes(v);

function webAlgorithm(alg: CreatableAlg) {
  if (alg === 'ecdsa-p256') return { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  return {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: alg === 'rsa-3072' ? 3072 : 2048,
  };
}

/** `CN=…,O=…` in RFC 4514 form, normalised; a common name is required. */
export function parseSubject(subject: string): string {
  let name: x509.Name;
  try {
    name = new x509.Name(subject);
  } catch {
    throw new WaygateError(
      'cert_subject_invalid',
      'subject must be a distinguished name such as "CN=hub.example,O=Example"',
    );
  }
  if (!name.toJSON().some((rdn) => Array.isArray(rdn.CN) && rdn.CN.length > 0)) {
    throw new WaygateError('cert_subject_invalid', 'subject must name a common name (CN=…)');
  }
  return name.toString();
}

export interface KeyMaterial {
  /** PKCS#8 PEM: seal it before it goes anywhere. */
  privateKeyPem: string;
  publicKeyPem: string;
  csrPem: string;
}

/** A fresh key pair and a CSR signed with it (proof of possession for the CA). */
export async function createKeyAndCsr(alg: CreatableAlg, subject: string): Promise<KeyMaterial> {
  const algorithm = webAlgorithm(alg);
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const usages =
    alg === 'ecdsa-p256'
      ? x509.KeyUsageFlags.digitalSignature
      : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: parseSubject(subject),
    keys,
    signingAlgorithm: algorithm,
    extensions: [new x509.KeyUsagesExtension(usages, true)],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const privateKeyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
  pkcs8.fill(0);
  const publicKeyPem = createPublicKey({ key: spki, format: 'der', type: 'spki' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  return { privateKeyPem, publicKeyPem, csrPem: csr.toString('pem') };
}

export interface CertificateFacts {
  pem: string;
  subject: string;
  issuer: string;
  serial: string;
  /** SHA-256 of the DER, lower-case hex. */
  fingerprint: string;
  notBefore: number;
  notAfter: number;
  keyAlg: KeyAlg;
  publicKey: KeyObject;
}

function keyAlgOf(key: KeyObject): KeyAlg | undefined {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') return d?.namedCurve === 'prime256v1' ? 'ecdsa-p256' : undefined;
  if (key.asymmetricKeyType !== 'rsa') return undefined;
  return d?.modulusLength === 2048
    ? 'rsa-2048'
    : d?.modulusLength === 3072
      ? 'rsa-3072'
      : d?.modulusLength === 4096
        ? 'rsa-4096'
        : undefined;
}

const PEM_CERT = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*$/;

/** Reads one PEM certificate; throws invalid_input for anything else (a key, a chain, garbage). */
export function parseCertificate(pem: string): CertificateFacts {
  const text = pem.trim() + '\n';
  if (!PEM_CERT.test(text)) {
    throw new WaygateError(
      'cert_unreadable',
      'expected exactly one PEM certificate (-----BEGIN CERTIFICATE-----)',
    );
  }
  let cert: x509.X509Certificate;
  let publicKey: KeyObject;
  try {
    cert = new x509.X509Certificate(text);
    publicKey = createPublicKey(text);
  } catch {
    throw new WaygateError('cert_unreadable', 'the certificate cannot be parsed');
  }
  const keyAlg = keyAlgOf(publicKey);
  if (!keyAlg) {
    throw new WaygateError(
      'cert_key_unsupported',
      'only RSA 2048/3072/4096 and ECDSA P-256 certificates are supported',
    );
  }
  return {
    pem: cert.toString('pem') + '\n',
    subject: cert.subject,
    issuer: cert.issuer,
    serial: cert.serialNumber,
    fingerprint: createHash('sha256').update(Buffer.from(cert.rawData)).digest('hex'),
    notBefore: cert.notBefore.getTime(),
    notAfter: cert.notAfter.getTime(),
    keyAlg,
    publicKey,
  };
}

/** Whether two public keys (KeyObject or PEM) are the same key. */
export function samePublicKey(a: KeyObject | string, b: KeyObject | string): boolean {
  const der = (k: KeyObject | string) =>
    (typeof k === 'string' ? createPublicKey(k) : k).export({ type: 'spki', format: 'der' });
  return der(a).equals(der(b));
}
