/**
 * The `customs` block of the hub's config as the pipeline reads it (hub/config.ts checks it):
 * which partner declares, the companies and codes per source, catalogue data, the XSD folder,
 * the three-document tolerance, the certificate that signs, how often receipts are read.
 */
import type { CustomsProduct, CustomsProfile } from '../../domain/index.js';

export interface CustomsSettings {
  partner?: string;
  xsdDir?: string;
  matchTolerance?: string;
  defaults?: CustomsProfile;
  sources?: Readonly<Record<string, CustomsProfile>>;
  products?: Readonly<Record<string, CustomsProduct>>;
  certificate?: string;
  receiptPollMs?: number;
}

/**
 * Whether the hub declares this source's orders to customs: a customs partner is configured and
 * the source has a profile (its own `customs.sources.<source>` or the `customs.defaults` every
 * source inherits). A hub without one queues no customs job at all.
 */
export function declaresFor(settings: CustomsSettings | undefined, source: string): boolean {
  if (!settings?.partner) return false;
  return settings.defaults !== undefined || settings.sources?.[source] !== undefined;
}
