/**
 * The sandbox's stand-in for the China E-Port certificate authority (中国电子口岸数据中心), which
 * issues declarants the certificates their messages are signed with (on a UKey in real life). It
 * signs a certificate for the key and subject of a CSR the hub made (`waygate certs create`), so
 * the hub's certificate store can register it as it would the real one. Its key lives in memory
 * only, for the sandbox's lifetime.
 */
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};
const DAY = 86_400_000;
const serial = () => `1${randomBytes(7).toString('hex')}`;

export interface EportCa {
  pem: string;
  /** A certificate for the CSR's subject and key, valid for `days`; a CSR that does not verify is refused. */
  issue(csrPem: string, days?: number): Promise<string>;
}

export async function createEportCa(subject = 'CN=Sandbox E-Port CA,O=Waygate Sandbox'): Promise<EportCa> {
  const keys = (await webcrypto.subtle.generateKey(RSA, false, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: subject,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 3650 * DAY),
    signingAlgorithm: RSA,
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  return {
    pem: ca.toString('pem'),
    async issue(csrPem, days = 365) {
      const csr = new x509.Pkcs10CertificateRequest(csrPem);
      if (!(await csr.verify())) throw new RangeError('the certificate request does not verify');
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: csr.subject,
        issuer: ca.subject,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + days * DAY),
        signingAlgorithm: RSA,
        publicKey: csr.publicKey,
        signingKey: keys.privateKey,
        extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
      });
      return cert.toString('pem');
    },
  };
}
