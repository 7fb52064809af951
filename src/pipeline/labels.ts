/**
 * Carrier labels: taken with the waybill (a carrier that returns the label in its create answer,
 * like UPS) or fetched right after it (`label.fetch`: 4PX, YunExpress), and stored sealed with
 * the shipment — a label prints the consignee's name, address and phone. What a label is comes
 * from its first bytes (connectors/labels.ts), never from what the carrier says it is, and a
 * label above MAX_LABEL_BYTES is not stored. A label that could not be had when the waybill was
 * stored is fetched again the first time someone asks for it.
 */
import { labelFormatOf } from '../connectors/labels.js';
import type { CarrierConnector, ShipmentLabel } from '../connectors/types.js';
import type { Store } from '../store/db.js';
import { insertLabel, readLabel, type StoredLabel } from '../store/platform-flow.js';
import type { Executor } from '../store/transaction.js';
import type { FieldSealer } from '../store/sealing.js';

/** Largest label stored: a 4×6 in PDF or a 203 dpi PNG is a few hundred kB at most. */
export const MAX_LABEL_BYTES = 5 * 1024 * 1024;

export interface CheckedLabel {
  format: ShipmentLabel['format'];
  data: Buffer;
}

/** The label as it may be stored, or why not (too large, or not a PDF, PNG or ZPL by its bytes). */
export function checkLabel(label: ShipmentLabel): CheckedLabel | { refused: string } {
  if (label.data.length === 0) return { refused: 'the label is empty' };
  if (label.data.length > MAX_LABEL_BYTES)
    return { refused: `the label is ${label.data.length} bytes, above ${MAX_LABEL_BYTES}` };
  const format = labelFormatOf(label.data);
  if (!format) return { refused: 'the label is neither PDF, PNG nor ZPL by its first bytes' };
  return { format, data: label.data };
}

/**
 * The label of a new waybill: the one in the carrier's answer, else one fetched from a carrier
 * that serves labels. Undefined when there is none to have now (the fetch failed, or the label
 * was refused); the waybill is stored all the same.
 */
export async function labelForNewWaybill(
  /** Fetches the label through the carrier's policy; absent for a carrier that serves none. */
  fetch: ((waybillNo: string) => Promise<ShipmentLabel>) | undefined,
  waybillNo: string,
  inAnswer: ShipmentLabel | undefined,
): Promise<CheckedLabel | undefined> {
  let label = inAnswer;
  if (!label && fetch) label = await fetch(waybillNo).catch(() => undefined);
  if (!label) return undefined;
  const checked = checkLabel(label);
  return 'refused' in checked ? undefined : checked;
}

export async function storeLabel(
  trx: Executor,
  cipher: FieldSealer,
  shipment: { id: string; carrier: string; waybillNo: string },
  label: CheckedLabel,
  nowMs: number,
): Promise<void> {
  await insertLabel(
    trx,
    cipher,
    {
      shipmentId: shipment.id,
      carrier: shipment.carrier,
      waybillNo: shipment.waybillNo,
      format: label.format,
      data: label.data,
    },
    nowMs,
  );
}

export type LabelLookup =
  { found: StoredLabel } | { none: 'not_issued' } | { none: 'unavailable'; reason: string };

/** The stored label of a shipment, fetched and stored first when the carrier serves labels and none is stored. */
export async function shipmentLabel(
  store: Store,
  carrier: CarrierConnector | undefined,
  shipment: { id: string; carrier: string; waybillNo: string },
): Promise<LabelLookup> {
  const stored = await readLabel(store.db, store.keys.cipher, shipment.id);
  if (stored) return { found: stored };
  if (!carrier?.fetchLabel) return { none: 'not_issued' };
  let label: ShipmentLabel;
  try {
    label = await carrier.fetchLabel(shipment.waybillNo);
  } catch {
    return { none: 'unavailable', reason: `${shipment.carrier} did not answer with the label` };
  }
  const checked = checkLabel(label);
  if ('refused' in checked) return { none: 'unavailable', reason: `${shipment.carrier}: ${checked.refused}` };
  await store.write((trx) => storeLabel(trx, store.keys.cipher, shipment, checked, Date.now()));
  const now = await readLabel(store.db, store.keys.cipher, shipment.id);
  return now ? { found: now } : { none: 'unavailable', reason: 'the label could not be stored' };
}
