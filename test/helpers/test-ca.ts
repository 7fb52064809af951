/**
 * A throwaway certificate authority for tests: issues certificates for CSRs the store made, and
 * self-signed ones for "partners". Keys live only in memory for the test's lifetime.
 */
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { selfSignedIdentity, type SandboxIdentity } from '../../src/sandbox/identity.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY = 86_400_000;

export interface Validity {
  notBefore?: Date;
  notAfter?: Date;
}

export interface TestCa {
  pem: string;
  /** Issues a certificate for the CSR's subject and key. */
  issue(csrPem: string, validity?: Validity): Promise<string>;
}

/** Positive, non-zero 64-bit serial (hex). */
const serial = () => `1${randomBytes(7).toString('hex')}`;

export async function createTestCa(subject = 'CN=Waygate Test CA,O=Test Only'): Promise<TestCa> {
  const keys = (await webcrypto.subtle.generateKey(EC, false, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: subject,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 3650 * DAY),
    signingAlgorithm: EC,
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  return {
    pem: ca.toString('pem'),
    async issue(csrPem, validity = {}) {
      const csr = new x509.Pkcs10CertificateRequest(csrPem);
      if (!(await csr.verify())) throw new Error('CSR signature does not verify');
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: csr.subject,
        issuer: ca.subject,
        notBefore: validity.notBefore ?? new Date(Date.now() - 60_000),
        notAfter: validity.notAfter ?? new Date(Date.now() + 365 * DAY),
        signingAlgorithm: EC,
        publicKey: csr.publicKey,
        signingKey: keys.privateKey,
      });
      return cert.toString('pem');
    },
  };
}

/** A partner's own RSA key and self-signed certificate (what a partner portal hands out). */
export function partnerIdentity(subject = 'CN=partner.example,O=Test Partner'): Promise<SandboxIdentity> {
  return selfSignedIdentity(subject);
}
