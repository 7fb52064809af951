/**
 * What a customs job needs, from the hub's live configuration: the customs partner's exchange,
 * the company codes per source, the XSD folder and tolerance, and a signer whose key and
 * certificate come from the hub's certificate store at each signature (so a renewal or a
 * revocation applies at once; an expired certificate stops signing at its notAfter).
 */
import { WaygateError } from '../../domain/index.js';
import { mergeProfiles } from '../../connectors/customs/china-ceb/profile.js';
import { rsaSha1Signer, type CebSigner } from '../../connectors/customs/china-ceb/sign.js';
import type { JobDeps } from '../jobs/kind.js';
import type { CustomsDeps } from './declare.js';
import type { CustomsSettings } from './settings.js';
import { transferOf } from './transfer.js';

/** Signs with the named hub certificate of the store: KeyName is its id, the certificate rides along. */
export function storeSigner(certificates: NonNullable<JobDeps['certificates']>, name: string): CebSigner {
  return rsaSha1Signer({
    key: () => certificates.signingKey(name).key,
    certificatePem: () => certificates.signingKey(name).certificatePem,
    keyName: () => certificates.signingKey(name).certificateId,
  });
}

/** The customs settings in force, or undefined when the hub declares nothing to customs. */
export function customsSettingsOf(deps: JobDeps): CustomsSettings | undefined {
  const settings = deps.partners().customsSettings?.();
  return settings?.partner ? settings : undefined;
}

/**
 * The declaration run's dependencies; throws `customs_field_missing` naming the setting when the
 * configuration cannot declare (no certificate, a partner that is not a customs exchange).
 */
export function customsDepsOf(deps: JobDeps, settings: CustomsSettings): CustomsDeps {
  const partnerId = settings.partner!;
  const transfer = transferOf(deps.partners().customs?.(partnerId));
  if (!transfer)
    throw new WaygateError('customs_field_missing', undefined, {
      field: `partners.${partnerId} (a customs partner that exchanges messages)`,
    });
  if (!settings.certificate || !deps.certificates)
    throw new WaygateError('customs_field_missing', undefined, { field: 'customs.certificate' });
  return {
    store: deps.store,
    partnerId,
    transfer,
    signer: storeSigner(deps.certificates, settings.certificate),
    profileFor: (source) => mergeProfiles(settings.defaults, settings.sources?.[source]),
    ...(settings.products ? { products: settings.products } : {}),
    ...(settings.xsdDir ? { xsdDir: settings.xsdDir } : {}),
    ...(settings.matchTolerance ? { tolerance: settings.matchTolerance } : {}),
  };
}
