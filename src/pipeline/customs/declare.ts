/**
 * Declaring an order to China customs [000-2] through the transfer client's folders: the order
 * (CEB311/303), the payment (CEB411, relayed when the order carries one), the waybill
 * (CEB511/505), and — only after the three-document match passes or an authorised override —
 * the inventory list (CEB621/603). Each message is built, validated against the XSD, signed and
 * written to the outbox; its declaration row says where it stands.
 *
 * Crash safety: the envelope is sealed into the row before the file is written, and the row is
 * marked `declared` after; a crash in between rewrites the very same bytes under the same name
 * (the guid and CopMsgId customs de-duplicates on), never a second, different message.
 */
import { randomUUID } from 'node:crypto';
import {
  customsDirection,
  DEFAULT_MATCH_TOLERANCE,
  matchDocuments,
  type CustomsDirection,
  type CustomsProduct,
  type CustomsProfile,
  type Discrepancy,
} from '../../domain/index.js';
import { CustomsFieldMissing } from '../../connectors/customs/china-ceb/fields.js';
import {
  orderAmounts,
  type CebMessageType,
  type CebOrder,
} from '../../connectors/customs/china-ceb/messages.js';
import { CebInvalid, prepareMessage } from '../../connectors/customs/china-ceb/prepare.js';
import type { CebSigner } from '../../connectors/customs/china-ceb/sign.js';
import { XsdUnavailable, type XsdProblem } from '../../connectors/customs/china-ceb/xsd.js';
import { missingFields, shippableItems } from '../../domain/catalogue.js';
import { recordAudit } from '../../store/audit.js';
import {
  declarationsOfOrder,
  getDeclaration,
  insertDeclaration,
  MESSAGE_CONTEXT,
  moveDeclaration,
  recordSent,
  savePrepared,
  type DeclarationRow,
} from '../../store/customs.js';
import type { Store } from '../../store/db.js';
import type { CustomsTransfer } from './transfer.js';
import { crashPoint } from '../crash-point.js';
import { newId } from '../../store/ids.js';
import type { Executor } from '../../store/transaction.js';
import { getOrderRow, readOrder, type OrderRecord } from '../../store/orders.js';
import { shipmentsForOrder } from '../../store/shipments.js';

export interface CustomsDeps {
  store: Store;
  partnerId: string;
  /** The customs connector's exchange (transfer client folders or HTTP). */
  transfer: CustomsTransfer;
  signer: CebSigner;
  profileFor(source: string): CustomsProfile;
  products?: Readonly<Record<string, CustomsProduct>>;
  xsdDir?: string;
  tolerance?: string;
  now?: () => Date;
}

const MESSAGES: Record<
  CustomsDirection,
  Record<'order' | 'payment' | 'waybill' | 'inventory', CebMessageType | null>
> = {
  import: { order: 'CEB311', payment: 'CEB411', waybill: 'CEB511', inventory: 'CEB621' },
  export: { order: 'CEB303', payment: null, waybill: 'CEB505', inventory: 'CEB603' },
};

export interface DeclareOutcome {
  direction: CustomsDirection | null;
  sent: string[];
  held: Discrepancy[];
  failed: Array<{ messageType: string; reason: string; field?: string; problems?: readonly XsdProblem[] }>;
}

export interface DeclareOptions {
  /**
   * Declarations that failed (a missing field, the XSD) are built again: the job's replay after
   * the data or the configuration was fixed.
   */
  retryFailed?: boolean;
}

/** The messages that carry the waybill: never built before it exists. */
const NEEDS_WAYBILL: ReadonlySet<string> = new Set(['waybill', 'inventory']);

type Waybill = { waybillNo: string };

/** The order's waybill — the carrier's, or the last-mile one its warehouse reported. */
async function waybillOf(store: Store, orderId: string): Promise<Waybill | undefined> {
  const shipment = (await shipmentsForOrder(store.db, orderId))[0];
  return shipment ? { waybillNo: shipment.waybillNo } : undefined;
}

/** The order as the CEB builders read it; throws naming the first line that lacks customs data. */
function cebOrder(o: OrderRecord): CebOrder {
  const items = shippableItems(o.items);
  if (!items) {
    const i = o.items.findIndex((l) => missingFields(l).length > 0);
    throw new CustomsFieldMissing(
      `items[${i}].${missingFields(o.items[i]!)[0]}`,
      'the catalogue has no customs data for the line',
    );
  }
  return {
    externalId: o.externalId,
    currency: o.currency,
    recipient: o.recipient,
    items,
    buyer: o.buyer,
    payment: o.payment,
    charges: o.charges,
    placedAt: o.placedAt,
  };
}

/**
 * The messages due as soon as an order is announced to customs — its order message (CEB311 or
 * CEB303) and, when it carries a payment, CEB411 — added as `queued` rows in the caller's
 * transaction. The rows are the announcement's record: each message of an order exists once
 * (unique order and message type), so only the first announcement adds any and gets true. A
 * retried or doubled shipment.create therefore queues no second declaration run, on either store.
 */
export async function reserveOrderMessages(
  trx: Executor,
  partnerId: string,
  order: Pick<OrderRecord, 'id' | 'externalId' | 'destinationCountry' | 'items' | 'payment'>,
  nowMs: number,
): Promise<boolean> {
  const direction = customsDirection(order.items[0]?.originCountry, order.destinationCountry);
  if (!direction) return false;
  const plan = MESSAGES[direction];
  const due: Array<['order' | 'payment', CebMessageType]> = [['order', plan.order!]];
  if (plan.payment && order.payment) due.push(['payment', plan.payment]);
  let added = false;
  for (const [document, messageType] of due) {
    const inserted = await insertDeclaration(trx, {
      id: newId('dcl', nowMs),
      orderId: order.id,
      partnerId,
      direction,
      document,
      messageType,
      status: 'queued',
      guid: randomUUID().toUpperCase(),
      orderNo: order.externalId,
      logisticsNo: null,
      discrepancies: null,
      note: 'queued',
      nowMs,
    });
    added ||= inserted;
  }
  return added;
}

/** Declares what the order needs now; safe to call again (each message is declared once). */
export async function declareOrder(
  deps: CustomsDeps,
  orderId: string,
  options: DeclareOptions = {},
): Promise<DeclareOutcome> {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const row = await getOrderRow(store.db, orderId);
  if (!row) throw new Error(`no order ${orderId}`);
  const order = await readOrder(store.keys, row);
  const direction = customsDirection(order.items[0]?.originCountry, order.destinationCountry);
  const out: DeclareOutcome = { direction, sent: [], held: [], failed: [] };
  if (!direction) return out;
  const plan = MESSAGES[direction];
  const wanted: Array<['order' | 'payment' | 'waybill' | 'inventory', CebMessageType]> = [
    ['order', plan.order!],
  ];
  if (plan.payment && order.payment) wanted.push(['payment', plan.payment]);
  // What this run adds rows for; what it sends is read again below, after the rows.
  const known = await waybillOf(store, orderId);
  if (known) wanted.push(['waybill', plan.waybill!], ['inventory', plan.inventory!]);

  const discrepancies = (waybill: Waybill | undefined) =>
    matchDocuments(
      {
        order: {
          orderNo: order.externalId,
          paid: orderAmounts({ ...order, items: shippableItems(order.items) ?? [] }).paid,
          consignee: order.recipient.name,
          logisticsNo: waybill?.waybillNo,
        },
        payment: order.payment ? { orderNo: order.externalId, amount: order.payment.amount } : undefined,
        waybill: waybill
          ? { orderNo: order.externalId, logisticsNo: waybill.waybillNo, consignee: order.recipient.name }
          : undefined,
        paymentRequired: direction === 'import',
      },
      deps.tolerance ?? DEFAULT_MATCH_TOLERANCE,
    );
  if (options.retryFailed) {
    for (const d of await declarationsOfOrder(store.db, orderId)) {
      if (d.status !== 'failed') continue;
      await store.write((trx) =>
        moveDeclaration(trx, store.keys.cipher, d.id, 'failed', 'queued', {
          note: 'declared again (replayed after a fix)',
          nowMs: now().getTime(),
        }),
      );
    }
  }

  for (const [document, messageType] of wanted) {
    const held: Discrepancy[] = document === 'inventory' ? discrepancies(known) : [];
    const nowMs = now().getTime();
    await store.write((trx) =>
      insertDeclaration(trx, {
        id: newId('dcl', nowMs),
        orderId,
        partnerId: deps.partnerId,
        direction,
        document,
        messageType,
        status: held.length > 0 ? 'held' : 'queued',
        guid: randomUUID().toUpperCase(),
        orderNo: order.externalId,
        logisticsNo: known?.waybillNo ?? null,
        discrepancies: held.length > 0 ? JSON.stringify(held) : null,
        note:
          held.length > 0
            ? `held by the three-document match: ${held.map((d) => d.field).join(', ')}`
            : 'queued',
        nowMs,
      }),
    );
    if (held.length > 0) out.held.push(...held);
  }

  // The rows first, the waybill after them. Another run (the waybill stage meeting this one)
  // may have added the waybill's messages since this run began; it added them only after the
  // waybill was stored, so the waybill read now is there for every row listed. Read before the
  // rows, a run that began before the waybill existed would build them without it.
  const rows = await declarationsOfOrder(store.db, orderId);
  const waybill = await waybillOf(store, orderId);
  for (const d of rows) {
    // Never built without its waybill: a row that needs one and finds none waits, unsent.
    if (!waybill && NEEDS_WAYBILL.has(d.document)) continue;
    if (d.status === 'held' && d.document === 'inventory' && !d.override_by) {
      // Held lists are matched again on every run: fixed data releases them by itself.
      const still = discrepancies(waybill);
      if (still.length === 0) {
        await store.write((trx) =>
          moveDeclaration(trx, store.keys.cipher, d.id, 'held', 'queued', {
            discrepancies: null,
            note: 'the three-document match passes now',
            nowMs: now().getTime(),
          }),
        );
        d.status = 'queued';
      } else if (!out.held.length) out.held.push(...still);
    }
    if (d.status !== 'queued') continue;
    const result = await send(deps, d, order, waybill?.waybillNo);
    if (result === true) out.sent.push(d.message_type);
    else if (result) out.failed.push({ messageType: d.message_type, ...result });
  }
  return out;
}

/** Builds, validates, signs and writes one queued declaration; true, or why it failed. */
async function send(
  deps: CustomsDeps,
  d: DeclarationRow,
  order: OrderRecord,
  waybillNo: string | undefined,
): Promise<true | { reason: string; field?: string; problems?: readonly XsdProblem[] } | undefined> {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  let envelope: string;
  const fileName = `${d.message_type}_${d.guid.replace(/-/g, '')}.xml`;
  if (d.message_sealed) {
    envelope = await store.keys.open(d.message_sealed, MESSAGE_CONTEXT);
  } else {
    try {
      const prepared = await prepareMessage(
        d.message_type as CebMessageType,
        {
          order: cebOrder(order),
          profile: deps.profileFor(order.source),
          ...(deps.products ? { products: deps.products } : {}),
          waybill: waybillNo ? { waybillNo } : undefined,
          guid: d.guid,
          at: now(),
        },
        {
          signer: deps.signer,
          senderId: deps.profileFor(order.source).sender?.dxpId ?? '',
          ...(deps.xsdDir ? { xsdDir: deps.xsdDir } : {}),
        },
      );
      envelope = prepared.envelope;
    } catch (err) {
      if (!(err instanceof CustomsFieldMissing || err instanceof CebInvalid || err instanceof XsdUnavailable))
        throw err;
      const reason = err.message.slice(0, 500);
      await store.write((trx) =>
        moveDeclaration(trx, store.keys.cipher, d.id, 'queued', 'failed', {
          info: reason,
          note: err instanceof CustomsFieldMissing ? `missing ${err.field}` : 'fails the XSD',
          nowMs: now().getTime(),
        }),
      );
      return {
        reason,
        ...(err instanceof CustomsFieldMissing ? { field: err.field } : {}),
        ...(err instanceof CebInvalid ? { problems: err.problems } : {}),
      };
    }
    // Sealed into the row before the file exists: a retry writes these exact bytes again. A
    // run racing this one keeps the envelope sealed first, and both write that one.
    await store.write((trx) => savePrepared(trx, store.keys.cipher, d.id, envelope));
    const kept = await getDeclaration(store.db, d.id);
    if (!kept?.message_sealed || kept.status !== 'queued') return undefined;
    envelope = await store.keys.open(kept.message_sealed, MESSAGE_CONTEXT);
  }
  await deps.transfer.send(fileName, envelope);
  crashPoint('customs.outbox-written');
  const moved = await store.write((trx) =>
    recordSent(trx, store.keys.cipher, d.id, envelope, now().getTime()),
  );
  return moved ? true : undefined;
}

/**
 * Releases a held inventory list despite its discrepancies: only a caller holding
 * `customs:override` gets here (the gateway checks it); the override is audited with the
 * discrepancies it overrode. The list is then queued; the next declaration run sends it.
 */
export async function approveHold(
  store: Store,
  declarationId: string,
  actor: string,
  reason: string,
  nowMs = Date.now(),
  /** Runs in the override's transaction: the API queues the declaration run here. */
  andThen?: (trx: Executor, d: DeclarationRow) => Promise<void>,
): Promise<boolean> {
  const d = await getDeclaration(store.db, declarationId);
  if (!d || d.status !== 'held') return false;
  return store.write(async (trx) => {
    const ok = await moveDeclaration(trx, store.keys.cipher, d.id, 'held', 'queued', {
      overrideBy: actor,
      note: `override by ${actor}: ${reason.slice(0, 200)}`,
      nowMs,
    });
    if (ok)
      await recordAudit(
        trx,
        {
          actor,
          action: 'customs.override',
          target: d.id,
          detail: {
            orderId: d.order_id,
            messageType: d.message_type,
            discrepancies: JSON.parse(d.discrepancies ?? '[]') as unknown,
            reason,
          },
          outcome: 'ok',
        },
        nowMs,
      );
    if (ok && andThen) await andThen(trx, d);
    return ok;
  });
}

/** Overrides a hold and sends the list now (the CLI and tests; the API queues it). */
export async function overrideHold(
  deps: CustomsDeps,
  declarationId: string,
  actor: string,
  reason: string,
): Promise<DeclarationRow | undefined> {
  const nowMs = (deps.now ?? (() => new Date()))().getTime();
  if (!(await approveHold(deps.store, declarationId, actor, reason, nowMs))) return undefined;
  const d = await getDeclaration(deps.store.db, declarationId);
  if (!d) return undefined;
  await declareOrder(deps, d.order_id);
  return getDeclaration(deps.store.db, d.id);
}
