/** The certificate/key store [003-7.2]. See docs/signatures.md. */
export {
  CertificateService,
  checkExpiringCertificates,
  DEFAULT_EXPIRY_WARNING_DAYS,
  expiringCertificates,
  startCertificateExpiryChecks,
  type CertificateInfo,
  type CertificateRequest,
} from './lifecycle.js';
export { CertificateKeyring, type HubSigningKey, type KeyringSchemeOptions } from './keyring.js';
export { CREATABLE_ALGS, isCreatableAlg, parseCertificate, type CreatableAlg } from './x509.js';
export {
  partnerSigning,
  PartnerSigningSchema,
  type PartnerSigning,
  type PartnerSigningSpec,
} from './partner-signing.js';
