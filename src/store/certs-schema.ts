/** Row types of the certificate/key store (migration 006_certs) [003-7.2]. */

/** `hub`: our own key pair and certificate; `partner`: a partner's certificate, public only. */
export type CertOwner = 'hub' | 'partner';
/**
 * `pending`: key pair and CSR made, no certificate yet; `active`: usable (within its validity);
 * `superseded`: replaced by a renewal; `revoked`: never used again.
 */
export type CertStatus = 'pending' | 'active' | 'superseded' | 'revoked';
/** Keys we create are rsa-2048, rsa-3072 or ecdsa-p256; partners' certificates may also be rsa-4096. */
export type KeyAlg = 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ecdsa-p256';

export interface CertificatesTable {
  id: string;
  owner: CertOwner;
  /** Hub certificates: the operator's name for the key (e.g. `hub-beta`); partner: the partner id. */
  name: string;
  status: CertStatus;
  key_alg: KeyAlg;
  /** SPKI PEM; the issued certificate must carry exactly this key. */
  public_key: string;
  /** PKCS#8 PEM sealed with the SecretBox; null for partner certificates. Never plaintext. */
  private_key_sealed: string | null;
  requested_subject: string | null;
  csr_pem: string | null;
  cert_pem: string | null;
  subject: string | null;
  issuer: string | null;
  /** Hex, as the certificate carries it. */
  serial: string | null;
  /** SHA-256 of the DER certificate, lower-case hex; unique: a certificate is registered once. */
  fingerprint: string | null;
  not_before: number | null;
  not_after: number | null;
  /** The certificate this key pair was made to replace (renewal). */
  renews_id: string | null;
  superseded_by: string | null;
  revoke_reason: string | null;
  created_at: number;
  updated_at: number;
  activated_at: number | null;
  superseded_at: number | null;
  revoked_at: number | null;
}

/** One row per certificate, UTC day and alert kind: an alert is raised at most once a day. */
export interface CertificateAlertsTable {
  certificate_id: string;
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  /** `expiring`. */
  kind: string;
  at: number;
}

export type CertTables = {
  certificates: CertificatesTable;
  certificate_alerts: CertificateAlertsTable;
};
