/**
 * A sandbox partner's own signing identity: an RSA key and a self-signed certificate made at
 * first use, never stored, as fresh as the sandbox's credentials (see credentials.ts).
 */
import 'reflect-metadata';
import { createPrivateKey, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export interface SandboxIdentity {
  privateKey: KeyObject;
  certPem: string;
}

const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};

export async function selfSignedIdentity(subject: string, days = 365): Promise<SandboxIdentity> {
  const keys = (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: `1${randomBytes(7).toString('hex')}`,
    name: subject,
    notBefore: new Date(Date.now() - 5 * 60_000),
    notAfter: new Date(Date.now() + days * 86_400_000),
    signingAlgorithm: RSA,
    keys,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return {
    privateKey: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }),
    certPem: cert.toString('pem'),
  };
}
