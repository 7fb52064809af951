/**
 * OWH returns (RMA pre-advice) ⇄ canonical, pure: the announcement the hub sends and the returns
 * dock address OWH answers with. OWH's field names stay in this folder.
 */
import type { Address } from '../../../domain/index.js';
import type { ReturnAnnounced, ReturnAnnouncement } from '../../types.js';

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max;

export function returnBody(req: ReturnAnnouncement) {
  return {
    rma_ref: req.returnId,
    order_ref: req.orderId,
    items: req.lines.map((l) => ({ item_code: l.sku, qty_expected: l.quantity })),
  };
}

/** `POST /returns`'s `data`; throws a message naming the bad field. */
export function returnAnswer(data: unknown): ReturnAnnounced {
  if (!isObj(data)) throw new Error('data is not an object');
  if (!text(data.return_no, 40)) throw new Error('data.return_no');
  const a = data.return_address;
  if (!isObj(a)) throw new Error('data.return_address');
  for (const f of ['contact', 'line1', 'city', 'country'] as const)
    if (!text(a[f], f === 'country' ? 2 : 200)) throw new Error(`data.return_address.${f}`);
  const address: Address = {
    name: a.contact as string,
    line1: a.line1 as string,
    city: a.city as string,
    country: a.country as string,
    ...(text(a.company, 200) ? { company: a.company } : {}),
    ...(text(a.line2, 200) ? { line2: a.line2 } : {}),
    ...(text(a.state, 100) ? { state: a.state } : {}),
    ...(text(a.postcode, 20) ? { postalCode: a.postcode } : {}),
    ...(text(a.phone, 24) ? { phone: a.phone } : {}),
  };
  return { warehouseReturnNo: data.return_no, address };
}
