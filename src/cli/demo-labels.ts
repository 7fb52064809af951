/**
 * The demo's label act (`--partners real`): every waybill of the run has its label asked for
 * the way a warehouse's print station would, `GET /v1/shipments/{waybillNo}/label` with a
 * `pii:read` key. A label counts as served when the hub answered 200 and its bytes are the
 * format the hub said (PDF, PNG or ZPL by their first bytes) — a count of what came out of the
 * API, not of what was stored. A carrier that issues no labels (Cainiao here) answers
 * `label_not_found`, counted apart.
 */
import { request } from 'undici';
import { labelFormatOf } from '../connectors/labels.js';
import { PERMISSIONS } from '../domain/permissions.js';
import { signedHeaders } from '../gateway/signature.js';
import type { Hub } from '../hub/hub.js';
import { createApiKey } from '../store/api-keys.js';
import { orderOutcomes } from '../store/journey-outcomes.js';
import { findShipmentByWaybill } from '../store/shipments.js';
import type { OrderBatch } from './demo-platforms.js';

/** One carrier's labels as the hub's API served them in the run. */
export interface CarrierLabels {
  /** Answered 200 with bytes of the format named by the content type. */
  served: number;
  bytes: number;
  /** Answered `label_not_found`: the carrier issues no label for the waybill. */
  notIssued: number;
  /** Anything else (503 label_unavailable, or bytes that were not what the hub said). */
  failed: number;
}

const FORMAT_OF_TYPE: Readonly<Record<string, string>> = {
  'application/pdf': 'PDF',
  'image/png': 'PNG',
  'application/x-zpl': 'ZPL',
};
const IN_FLIGHT = 8;

/** Asks the hub for the label of every waybill of the run; the figures per carrier. */
export async function labelsDemo(
  hub: Hub,
  batches: readonly OrderBatch[],
): Promise<Record<string, CarrierLabels>> {
  const key = await createApiKey(hub.store.db, hub.box, { name: 'demo-labels', scopes: PERMISSIONS });
  const waybills: string[] = [];
  for (const { source, externalIds } of batches)
    for (let i = 0; i < externalIds.length; i += 500)
      for (const r of await orderOutcomes(hub.store.db, source, externalIds.slice(i, i + 500)))
        if (r.waybillNo) waybills.push(r.waybillNo);

  const out: Record<string, CarrierLabels> = {};
  const one = async (waybillNo: string) => {
    const shipment = await findShipmentByWaybill(hub.store.db, waybillNo);
    if (!shipment) return;
    const c = (out[shipment.carrier] ??= { served: 0, bytes: 0, notIssued: 0, failed: 0 });
    const path = `/v1/shipments/${encodeURIComponent(waybillNo)}/label`;
    const res = await request(`${hub.url}${path}`, { headers: signedHeaders(key, 'GET', path, '') });
    const body = Buffer.from(await res.body.arrayBuffer());
    const type = String(res.headers['content-type'] ?? '').split(';')[0] ?? '';
    if (res.statusCode === 200 && labelFormatOf(body) === FORMAT_OF_TYPE[type]) {
      c.served++;
      c.bytes += body.length;
    } else if (res.statusCode === 404 && body.toString('utf8').includes('"label_not_found"')) c.notIssued++;
    else c.failed++;
  };
  for (let i = 0; i < waybills.length; i += IN_FLIGHT)
    await Promise.all(waybills.slice(i, i + IN_FLIGHT).map(one));
  return out;
}
