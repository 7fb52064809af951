/**
 * Customs declarations [000-2] in canonical terms: the companies a declaration names (from
 * configuration per source), the documents of a cross-border parcel, their statuses, and the
 * three-document match (三单对碰) that must pass before the inventory list goes to customs.
 * Pure code: the CEB dialect itself lives in connectors/customs/.
 */
import { Type, type Static } from '@sinclair/typebox';
import { toMinorUnits, fromMinorUnits } from './money.js';

const Code = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '^[0-9A-Za-z-]+$' });
const Name = Type.String({ minLength: 1, maxLength: 100 });
export const CustomsParty = Type.Object({ code: Code(18), name: Name }, { additionalProperties: false });
export type CustomsParty = Static<typeof CustomsParty>;

/**
 * Who declares and where: customs registration codes of the companies involved, the customs
 * office and port, the trade mode. Every field is optional here because configuration merges
 * defaults with a source's own values; a message needing one that is still absent fails naming it.
 */
export const CustomsProfile = Type.Object(
  {
    /** E-commerce platform (电商平台). */
    platform: Type.Optional(CustomsParty),
    /** E-commerce enterprise, the seller (电商企业). */
    enterprise: Type.Optional(CustomsParty),
    /** Logistics enterprise (物流企业). */
    logistics: Type.Optional(CustomsParty),
    /** Payment enterprise (支付企业), when the order's payment does not name one that is known. */
    payment: Type.Optional(CustomsParty),
    /** Declaring agent (申报企业). */
    declarant: Type.Optional(CustomsParty),
    /** Export: the producer/seller of the goods (生产销售单位); defaults to the enterprise. */
    owner: Type.Optional(CustomsParty),
    /** Import: the guarantor's number (担保企业编号). */
    assureCode: Type.Optional(Code(30)),
    /** Customs office code (4 digits, 关区代码). */
    customsOffice: Type.Optional(Type.String({ pattern: '^\\d{4}$' })),
    /** Port code (4 digits, 口岸代码). */
    port: Type.Optional(Type.String({ pattern: '^\\d{4}$' })),
    /** Trade mode (4 digits: 9610 direct B2C, 1210 bonded, 9710/9810 B2B export). */
    tradeMode: Type.Optional(Type.String({ pattern: '^\\d{4}$' })),
    /** Transport mode code (1 character, e.g. 5 air, 2 sea, 4 road). */
    transportMode: Type.Optional(Type.String({ pattern: '^[0-9A-Z]$' })),
    /** Export: port of destination (指运港, 3–4 characters). */
    destinationPort: Type.Optional(Type.String({ pattern: '^[0-9A-Z]{3,4}$' })),
    /** Packaging kind (1 character, 包装种类; 2 carton). */
    packaging: Type.Optional(Type.String({ pattern: '^[0-9A-Z]$' })),
    /** Who sends the messages through the transfer client (its registration and DXP id). */
    sender: Type.Optional(
      Type.Object(
        { code: Code(18), name: Name, dxpId: Type.String({ minLength: 1, maxLength: 30 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type CustomsProfile = Static<typeof CustomsProfile>;

/** Per product: what customs needs beyond the order line (the product catalogue's seam). */
export const CustomsProduct = Type.Object(
  {
    /** 10-digit Chinese tariff code. */
    hsCode: Type.Optional(Type.String({ pattern: '^\\d{10}$' })),
    /** Declared name in Chinese (申报品名). */
    declaredName: Type.Optional(Type.String({ minLength: 1, maxLength: 250 })),
    /** Specification and model (规格型号). */
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 250 })),
    barcode: Type.Optional(Type.String({ maxLength: 50 })),
  },
  { additionalProperties: false },
);
export type CustomsProduct = Static<typeof CustomsProduct>;

export const CUSTOMS_DIRECTIONS = ['import', 'export'] as const;
export type CustomsDirection = (typeof CUSTOMS_DIRECTIONS)[number];

/** The documents of one parcel, in the order they are declared. */
export const CUSTOMS_DOCUMENTS = ['order', 'payment', 'waybill', 'inventory', 'cancel', 'return'] as const;
export type CustomsDocument = (typeof CUSTOMS_DOCUMENTS)[number];

/**
 * held: the inventory list waits for the three-document match (or an override);
 * queued: built and waiting for the transfer client; declared: written for customs;
 * accepted: customs took it in; inspection: customs is examining the goods;
 * rejected: customs refused it (its code and reason kept); released: goods released;
 * returned: goods returned; failed: could not be built or sent (see the dead letters).
 */
export const DECLARATION_STATUSES = [
  'held',
  'queued',
  'declared',
  'accepted',
  'inspection',
  'rejected',
  'released',
  'returned',
  'failed',
] as const;
export type DeclarationStatus = (typeof DECLARATION_STATUSES)[number];

/** A receipt never moves a declaration back: rank of each status along the journey. */
const RANK: Record<DeclarationStatus, number> = {
  held: 0,
  queued: 1,
  failed: 1,
  declared: 2,
  accepted: 3,
  inspection: 4,
  rejected: 5,
  released: 6,
  returned: 7,
};

/** Whether a receipt saying `next` may move a declaration that is `current`. */
export function receiptMayMove(current: DeclarationStatus, next: DeclarationStatus): boolean {
  if (current === next) return false;
  // A rejected declaration is declared again (a new message), never revived by a late receipt.
  if (current === 'rejected') return false;
  return RANK[next] > RANK[current] || (current === 'inspection' && next === 'accepted');
}

/** Import goes into China, export leaves it; anything else is not a Chinese customs matter. */
export function customsDirection(origin: string | undefined, destination: string): CustomsDirection | null {
  if (destination === 'CN') return 'import';
  if (origin === 'CN') return 'export';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Three-document match (三单对碰)
// ---------------------------------------------------------------------------------------------

export interface MatchDocuments {
  order: {
    orderNo: string;
    /** What the buyer paid: goods + freight + tax − discount (the order's 实际支付). */
    paid: string;
    consignee: string;
    logisticsNo?: string | undefined;
  };
  payment?: { orderNo: string; amount: string } | undefined;
  waybill?: { orderNo: string; logisticsNo: string; consignee: string } | undefined;
  /** Whether customs needs the payment document (import B2C); export lists need none. */
  paymentRequired: boolean;
}

export interface Discrepancy {
  /** The field compared, in canonical terms. */
  field: 'orderNo' | 'amount' | 'consignee' | 'logisticsNo' | 'payment' | 'waybill';
  message: string;
  expected?: string;
  actual?: string;
}

/** The default amount tolerance: one fen, the rounding of a payment system. */
export const DEFAULT_MATCH_TOLERANCE = '0.01';

const squash = (s: string) => s.normalize('NFKC').replace(/\s+/g, '').toLowerCase();

/**
 * Compares the order with its payment and waybill as customs will: same order number, the
 * amount paid within `tolerance`, the same consignee and logistics number. Every discrepancy is
 * reported (not just the first), so an operator fixes them in one go.
 */
export function matchDocuments(d: MatchDocuments, tolerance = DEFAULT_MATCH_TOLERANCE): Discrepancy[] {
  const out: Discrepancy[] = [];
  if (d.payment) {
    if (d.payment.orderNo !== d.order.orderNo)
      out.push({
        field: 'orderNo',
        message: 'the payment names another order',
        expected: d.order.orderNo,
        actual: d.payment.orderNo,
      });
    const diff = toMinorUnits(d.payment.amount) - toMinorUnits(d.order.paid);
    const abs = diff < 0n ? -diff : diff;
    if (abs > toMinorUnits(tolerance))
      out.push({
        field: 'amount',
        message: `the amount paid differs from the order's by ${fromMinorUnits(abs)} (tolerance ${tolerance})`,
        expected: d.order.paid,
        actual: d.payment.amount,
      });
  } else if (d.paymentRequired) {
    out.push({ field: 'payment', message: 'no payment document for the order' });
  }
  if (!d.waybill) {
    out.push({ field: 'waybill', message: 'no waybill for the order' });
    return out;
  }
  if (d.waybill.orderNo !== d.order.orderNo)
    out.push({
      field: 'orderNo',
      message: 'the waybill names another order',
      expected: d.order.orderNo,
      actual: d.waybill.orderNo,
    });
  if (d.order.logisticsNo !== undefined && d.waybill.logisticsNo !== d.order.logisticsNo)
    out.push({
      field: 'logisticsNo',
      message: 'the waybill number differs from the one on the inventory list',
      expected: d.order.logisticsNo,
      actual: d.waybill.logisticsNo,
    });
  if (squash(d.waybill.consignee) !== squash(d.order.consignee))
    out.push({ field: 'consignee', message: 'the consignee on the waybill differs from the order' });
  return out;
}
