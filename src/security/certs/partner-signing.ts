/**
 * Per-partner message signing as written in the partner config [003-7.2]:
 *
 * ```yaml
 * carrier-beta:
 *   signing:
 *     scheme: xmldsig-rsa-sha256   # default; or rsa-sha256-pkcs1 | rsa-sha256-pss | ecdsa-p256-sha256
 *     certificate: hub-beta        # hub certificate (certs create/register) that signs what we send
 *     verifyPartner: true          # what the partner sends must be signed by a certificate
 *                                  # registered for it (certs import-partner)
 * ```
 *
 * `partnerSigning` turns that into the two schemes a connector takes (`request` to sign,
 * `response` to verify), backed by the key ring so renewals and revocations apply live.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { SignatureScheme } from '../signing/types.js';
import type { CertificateKeyring, PublicKeySchemeId } from './keyring.js';

export const PartnerSigningSchema = Type.Object(
  {
    scheme: Type.Optional(
      Type.Union([
        Type.Literal('xmldsig-rsa-sha256'),
        Type.Literal('rsa-sha256-pkcs1'),
        Type.Literal('rsa-sha256-pss'),
        Type.Literal('ecdsa-p256-sha256'),
      ]),
    ),
    certificate: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' })),
    verifyPartner: Type.Optional(Type.Boolean()),
    /** Header for detached schemes (default `X-Signature`). */
    header: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' })),
  },
  { additionalProperties: false },
);
export type PartnerSigningSpec = Static<typeof PartnerSigningSchema>;

export interface PartnerSigning {
  /** Signs what the hub sends to the partner. */
  request?: SignatureScheme;
  /** Verifies what the partner sends back or pushes. */
  response?: SignatureScheme;
}

export function partnerSigning(
  ring: CertificateKeyring,
  partnerId: string,
  spec: PartnerSigningSpec | undefined,
): PartnerSigning {
  if (!spec) return {};
  const id: PublicKeySchemeId = spec.scheme ?? 'xmldsig-rsa-sha256';
  const header = spec.header ? { header: spec.header } : {};
  return {
    ...(spec.certificate ? { request: ring.scheme(id, { signWith: spec.certificate, ...header }) } : {}),
    ...(spec.verifyPartner ? { response: ring.scheme(id, { verifyFrom: partnerId, ...header }) } : {}),
  };
}
