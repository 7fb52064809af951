/**
 * CEB messages (海关跨境电商统一版 202205) built from canonical data: import CEB311 order, CEB411
 * payment (relayed), CEB511 waybill, CEB621 inventory list, CEB623 withdrawal, CEB625 return;
 * export CEB303 order, CEB505 waybill, CEB603 inventory list, CEB605 withdrawal, CEB607 waybill
 * summary (总分单) and CEB701 summary declaration. Elements follow the XSD's sequence; what the
 * order, the catalogue and the configuration cannot supply fails naming the canonical field.
 *
 * Amounts: the XSD allows 5 decimals. Line prices and totals stay exact (the order's own 4
 * decimals at most, so price × qty = totalPrice holds to the last digit); head amounts are money
 * that a payment system moved, rounded half-up to the fen (2 decimals). Weights are kilograms
 * from whole grams (3 decimals, exact).
 */
import type {
  Address,
  Buyer,
  Charges,
  CustomsProduct,
  CustomsProfile,
  OrderItem,
  Payment,
} from '../../../domain/index.js';
import { fromMinorUnits, multiplyUnits, toMinorUnits } from '../../../domain/index.js';
import { customsCountry, customsCurrency, customsUnit, RMB } from './codes.js';
import { CustomsFieldMissing, need } from './fields.js';
import { cebDocument, el, type XmlNode } from './xml-writer.js';

export const IMPORT_MESSAGES = ['CEB311', 'CEB411', 'CEB511', 'CEB621', 'CEB623', 'CEB625'] as const;
export const EXPORT_MESSAGES = ['CEB303', 'CEB505', 'CEB603', 'CEB605', 'CEB607', 'CEB701'] as const;
export type ImportMessage = (typeof IMPORT_MESSAGES)[number];
export type ExportMessage = (typeof EXPORT_MESSAGES)[number];
export type CebMessageType = ImportMessage | ExportMessage;
export const MESSAGE_TYPES: readonly CebMessageType[] = [...IMPORT_MESSAGES, ...EXPORT_MESSAGES];

export const isMessageType = (v: string): v is CebMessageType =>
  (MESSAGE_TYPES as readonly string[]).includes(v);
export const directionOf = (m: CebMessageType) =>
  (IMPORT_MESSAGES as readonly string[]).includes(m) ? ('import' as const) : ('export' as const);
/** The XSD whose elements a message uses. */
export const schemaOf = (m: string) =>
  (IMPORT_MESSAGES as readonly string[]).includes(m) || /^CEB(3[12]|4[12]|5[1-4]|62|71|81|900)/.test(m)
    ? ('import' as const)
    : ('export' as const);

/** The order as the builders read it (the canonical order with its customs data). */
export interface CebOrder {
  externalId: string;
  currency: string;
  recipient: Address;
  items: readonly OrderItem[];
  buyer?: Buyer | undefined;
  payment?: Payment | undefined;
  charges?: Charges | undefined;
  placedAt?: string | null | undefined;
}

export interface CebCase {
  order: CebOrder;
  profile: CustomsProfile;
  /** Catalogue data by SKU (HS code, declared name, model); the order line is the fallback. */
  products?: Readonly<Record<string, CustomsProduct>>;
  /** The carrier's waybill (logistics number); needed from CEB511/505 on. */
  waybill?: { waybillNo: string; weightGrams?: number } | undefined;
  /** The message's 36-character upper-case guid (also the head's guid, which receipts quote). */
  guid: string;
  at: Date;
  /** Customs' inventory list number (from its receipt), for withdrawals and returns. */
  customsNo?: string | undefined;
  /** Why a list is withdrawn or goods returned. */
  reason?: string | undefined;
  /** Export waybill summary (CEB607): the conveyance and its voyage. */
  transport?: { name: string; voyageNo: string } | undefined;
}

// --- values --------------------------------------------------------------------------------

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** Beijing time (UTC+8), as every CEB time field is written. */
function beijing(d: Date) {
  const t = new Date(d.getTime() + 8 * 3600_000);
  return {
    date: `${t.getUTCFullYear()}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}`,
    time: `${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}${pad(t.getUTCSeconds())}`,
  };
}
export const cebTime = (d: Date) => {
  const b = beijing(d);
  return `${b.date}${b.time}`;
};
export const cebDate = (d: Date) => beijing(d).date;

const units = (a: string | undefined) => (a === undefined ? 0n : toMinorUnits(a));
/** 1/10,000 units rounded half-up to the fen, as a decimal string. */
function fen(u: bigint): string {
  const rounded = ((u + 50n) / 100n) * 100n;
  return plain(fromMinorUnits(rounded));
}
/** A decimal without trailing zeros (`12.50` → `12.5`, `3.00` → `3`): what customs' samples show. */
function plain(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}
const exact = (u: bigint) => plain(fromMinorUnits(u));
const kg = (grams: number) => plain((grams / 1000).toFixed(3));

function goodsUnits(items: readonly OrderItem[]) {
  return items.reduce((acc, i) => acc + multiplyUnits(i.unitPrice, i.quantity), 0n);
}

/** The order's amounts as customs adds them up (实际支付 = goods + freight + tax − discount). */
export function orderAmounts(o: CebOrder) {
  const goods = goodsUnits(o.items);
  const c = o.charges ?? {};
  const paid = goods + units(c.freight) + units(c.tax) - units(c.discount);
  if (paid < 0n)
    throw new CustomsFieldMissing('charges.discount', 'the discount exceeds what the buyer paid');
  return {
    goods: fen(goods),
    freight: fen(units(c.freight)),
    insurance: fen(units(c.insurance)),
    discount: fen(units(c.discount)),
    tax: fen(units(c.tax)),
    paid: fen(paid),
  };
}

const grossGrams = (c: CebCase) =>
  c.waybill?.weightGrams ?? c.order.items.reduce((g, i) => g + i.weightGrams * i.quantity, 0);
const netGrams = (c: CebCase) => c.order.items.reduce((g, i) => g + i.weightGrams * i.quantity, 0);

function party(p: CustomsProfile, key: 'platform' | 'enterprise' | 'logistics' | 'declarant' | 'payment') {
  const v = p[key];
  return {
    code: need(v?.code, `customs.${key}.code`, 'the company’s customs registration code is not configured'),
    name: need(v?.name, `customs.${key}.name`, 'the company’s registered name is not configured'),
  };
}
const profileValue = <K extends keyof CustomsProfile>(p: CustomsProfile, key: K) =>
  need(p[key], `customs.${String(key)}`, 'is not configured') as NonNullable<CustomsProfile[K]>;

function product(c: CebCase, item: OrderItem, i: number) {
  const p = c.products?.[item.sku] ?? {};
  const hsCode = p.hsCode ?? item.hsCode;
  if (!/^\d{10}$/.test(hsCode))
    throw new CustomsFieldMissing(
      `items[${i}].hsCode`,
      `customs needs the 10-digit Chinese tariff code (got ${hsCode.length} digits); give it on the line or in the catalogue`,
    );
  return {
    hsCode,
    name: p.declaredName ?? item.declaredNameZh ?? item.description.replace(/\s+/g, ' ').trim(),
    model: p.model ?? item.sku,
    barcode: p.barcode,
  };
}

function logisticsNo(c: CebCase) {
  return need(c.waybill?.waybillNo, 'waybill.waybillNo', 'no waybill yet: the carrier has not issued one');
}

function importCurrency(o: CebOrder) {
  if (o.currency !== 'CNY')
    throw new CustomsFieldMissing(
      'currency',
      `import declarations are in RMB (CNY); the order is in ${o.currency}`,
    );
  return RMB;
}

function buyerOf(o: CebOrder) {
  const b = o.buyer;
  return {
    name: need(b?.name, 'buyer.name'),
    phone: need(b?.phone, 'buyer.phone'),
    idType: need(b?.idType, 'buyer.idType') === 'national-id' ? '1' : '2',
    idNumber: need(b?.idNumber, 'buyer.idNumber'),
  };
}

const address = (a: Address) =>
  [a.state, a.city, a.line1, a.line2].filter((s): s is string => Boolean(s && s.trim())).join(' ');

function transfer(p: CustomsProfile): XmlNode {
  const s = p.sender;
  return el('BaseTransfer', [
    el('copCode', need(s?.code, 'customs.sender.code', 'the sender’s registration code is not configured')),
    el('copName', need(s?.name, 'customs.sender.name')),
    el('dxpMode', 'DXP'),
    el('dxpId', need(s?.dxpId, 'customs.sender.dxpId', 'the transfer client’s DXP id is not configured')),
  ]);
}

function head(c: CebCase) {
  return [el('guid', c.guid), el('appType', '1'), el('appTime', cebTime(c.at)), el('appStatus', '2')];
}

const copNo = (c: CebCase) => c.order.externalId.slice(0, 20);

// --- import --------------------------------------------------------------------------------

function ceb311(c: CebCase): string {
  const o = c.order;
  const currency = importCurrency(o);
  const a = orderAmounts(o);
  const b = buyerOf(o);
  const ebp = party(c.profile, 'platform');
  const ebc = party(c.profile, 'enterprise');
  const pay = o.payment ? party(c.profile, 'payment') : undefined;
  const lines = o.items.map((item, i) => {
    const p = product(c, item, i);
    return el('OrderList', [
      el('gnum', String(i + 1)),
      el('itemNo', item.sku.slice(0, 30)),
      el('itemName', p.name),
      el('gmodel', p.model),
      el('itemDescribe', item.description),
      el('barCode', p.barcode),
      el('unit', customsUnit('piece', `items[${i}].unit`)),
      el('qty', String(item.quantity)),
      el('price', plain(item.unitPrice)),
      el('totalPrice', exact(multiplyUnits(item.unitPrice, item.quantity))),
      el('currency', currency),
      el('country', customsCountry(item.originCountry, `items[${i}].originCountry`)),
    ]);
  });
  return cebDocument('CEB311Message', c.guid, [
    el('Order', [
      el('OrderHead', [
        ...head(c),
        el('orderType', 'I'),
        el('orderNo', o.externalId),
        el('ebpCode', ebp.code),
        el('ebpName', ebp.name),
        el('ebcCode', ebc.code),
        el('ebcName', ebc.name),
        el('goodsValue', a.goods),
        el('freight', a.freight),
        el('discount', a.discount),
        el('taxTotal', a.tax),
        el('acturalPaid', a.paid),
        el('currency', currency),
        el('buyerRegNo', b.phone),
        el('buyerName', b.name),
        el('buyerTelephone', b.phone),
        el('buyerIdType', b.idType),
        el('buyerIdNumber', b.idNumber),
        el('payCode', pay?.code),
        el('payName', pay?.name),
        el('payTransactionId', o.payment?.transactionId),
        el('consignee', o.recipient.name),
        el('consigneeTelephone', need(o.recipient.phone, 'recipient.phone')),
        el('consigneeAddress', address(o.recipient)),
      ]),
      ...lines,
    ]),
    transfer(c.profile),
  ]);
}

function ceb411(c: CebCase): string {
  const o = c.order;
  const currency = importCurrency(o);
  const payment = need(o.payment, 'payment', 'the order has no payment to relay');
  const b = buyerOf(o);
  const pay = party(c.profile, 'payment');
  const ebp = party(c.profile, 'platform');
  return cebDocument('CEB411Message', c.guid, [
    el('Payment', [
      el('PaymentHead', [
        ...head(c),
        el('payCode', pay.code),
        el('payName', pay.name),
        el('payTransactionId', payment.transactionId),
        el('orderNo', o.externalId),
        el('ebpCode', ebp.code),
        el('ebpName', ebp.name),
        el('payerIdType', b.idType),
        el('payerIdNumber', b.idNumber),
        el('payerName', b.name),
        el('telephone', b.phone),
        el('amountPaid', fen(toMinorUnits(payment.amount))),
        el('currency', currency),
        el('payTime', cebTime(new Date(payment.paidAt))),
      ]),
    ]),
    transfer(c.profile),
  ]);
}

function ceb511(c: CebCase): string {
  const o = c.order;
  const currency = importCurrency(o);
  const a = orderAmounts(o);
  const lg = party(c.profile, 'logistics');
  return cebDocument('CEB511Message', c.guid, [
    el('Logistics', [
      el('LogisticsHead', [
        ...head(c),
        el('logisticsCode', lg.code),
        el('logisticsName', lg.name),
        el('logisticsNo', logisticsNo(c)),
        el('orderNo', o.externalId),
        el('freight', a.freight),
        el('insuredFee', a.insurance),
        el('currency', currency),
        el('weight', kg(grossGrams(c))),
        el('packNo', '1'),
        el(
          'goodsInfo',
          o.items
            .map((i) => i.description.replace(/\s+/g, ' ').trim())
            .join('; ')
            .slice(0, 200),
        ),
        el('consignee', o.recipient.name),
        el('consigneeAddress', address(o.recipient)),
        el('consigneeTelephone', need(o.recipient.phone, 'recipient.phone')),
      ]),
    ]),
    transfer(c.profile),
  ]);
}

function ceb621(c: CebCase): string {
  const o = c.order;
  const currency = importCurrency(o);
  const a = orderAmounts(o);
  const b = buyerOf(o);
  const ebp = party(c.profile, 'platform');
  const ebc = party(c.profile, 'enterprise');
  const lg = party(c.profile, 'logistics');
  const agent = party(c.profile, 'declarant');
  const origin = o.items[0]!.originCountry;
  const lines = o.items.map((item, i) => {
    const p = product(c, item, i);
    return el('InventoryList', [
      el('gnum', String(i + 1)),
      el('itemNo', item.sku.slice(0, 20)),
      el('itemName', p.name),
      el('gcode', p.hsCode),
      el('gname', p.name),
      el('gmodel', p.model),
      el('barCode', p.barcode),
      el('country', customsCountry(item.originCountry, `items[${i}].originCountry`)),
      el('currency', currency),
      el('qty', String(item.quantity)),
      el('unit', customsUnit('piece', `items[${i}].unit`)),
      el('qty1', kg(item.weightGrams * item.quantity)),
      el('unit1', customsUnit('kilogram', `items[${i}].legalUnit`)),
      el('price', plain(item.unitPrice)),
      el('totalPrice', exact(multiplyUnits(item.unitPrice, item.quantity))),
    ]);
  });
  return cebDocument('CEB621Message', c.guid, [
    el('Inventory', [
      el('InventoryHead', [
        ...head(c),
        el('orderNo', o.externalId),
        el('ebpCode', ebp.code),
        el('ebpName', ebp.name),
        el('ebcCode', ebc.code),
        el('ebcName', ebc.name),
        el('logisticsNo', logisticsNo(c)),
        el('logisticsCode', lg.code),
        el('logisticsName', lg.name),
        el('copNo', copNo(c)),
        el('assureCode', profileValue(c.profile, 'assureCode')),
        el('ieFlag', 'I'),
        el('declTime', cebDate(c.at)),
        el('customsCode', profileValue(c.profile, 'customsOffice')),
        el('portCode', profileValue(c.profile, 'port')),
        el('buyerIdType', b.idType),
        el('buyerIdNumber', b.idNumber),
        el('buyerName', b.name),
        el('buyerTelephone', b.phone),
        el('consigneeAddress', address(o.recipient)),
        el('agentCode', agent.code),
        el('agentName', agent.name),
        el('tradeMode', profileValue(c.profile, 'tradeMode')),
        el('trafMode', profileValue(c.profile, 'transportMode')),
        el('country', customsCountry(origin, 'items[0].originCountry')),
        el('freight', a.freight),
        el('insuredFee', a.insurance),
        el('currency', currency),
        el('wrapType', c.profile.packaging),
        el('packNo', '1'),
        el('grossWeight', kg(grossGrams(c))),
        el('netWeight', kg(netGrams(c))),
      ]),
      ...lines,
    ]),
    transfer(c.profile),
  ]);
}

function importCancelHead(c: CebCase) {
  const o = c.order;
  const b = buyerOf(o);
  const ebp = party(c.profile, 'platform');
  const ebc = party(c.profile, 'enterprise');
  const lg = party(c.profile, 'logistics');
  const agent = party(c.profile, 'declarant');
  return [
    ...head(c),
    el('customsCode', profileValue(c.profile, 'customsOffice')),
    el('orderNo', o.externalId),
    el('ebpCode', ebp.code),
    el('ebpName', ebp.name),
    el('ebcCode', ebc.code),
    el('ebcName', ebc.name),
    el('logisticsNo', logisticsNo(c)),
    el('logisticsCode', lg.code),
    el('logisticsName', lg.name),
    el('copNo', copNo(c)),
    el('invtNo', need(c.customsNo, 'customsNo', 'customs has not numbered the inventory list yet')),
    el('buyerIdType', b.idType),
    el('buyerIdNumber', b.idNumber),
    el('buyerName', b.name),
    el('buyerTelephone', b.phone),
    el('agentCode', agent.code),
    el('agentName', agent.name),
    el('reason', need(c.reason, 'reason')),
  ];
}

function ceb623(c: CebCase): string {
  importCurrency(c.order);
  return cebDocument('CEB623Message', c.guid, [el('InvtCancel', importCancelHead(c)), transfer(c.profile)]);
}

function ceb625(c: CebCase): string {
  importCurrency(c.order);
  const lines = c.order.items.map((item, i) => {
    const p = product(c, item, i);
    return el('InvtRefundList', [
      el('gnum', String(i + 1)),
      el('gcode', p.hsCode),
      el('gname', p.name),
      el('qty', String(item.quantity)),
      el('unit', customsUnit('piece', `items[${i}].unit`)),
    ]);
  });
  return cebDocument('CEB625Message', c.guid, [
    el('InvtRefund', [el('InvtRefundHead', importCancelHead(c)), ...lines]),
    transfer(c.profile),
  ]);
}

// --- export --------------------------------------------------------------------------------

function ceb303(c: CebCase): string {
  const o = c.order;
  const currency = customsCurrency(o.currency, 'currency');
  const a = orderAmounts(o);
  const ebp = party(c.profile, 'platform');
  const ebc = party(c.profile, 'enterprise');
  return cebDocument('CEB303Message', c.guid, [
    el('Order', [
      el('OrderHead', [
        ...head(c),
        el('orderType', 'E'),
        el('orderNo', o.externalId),
        el('ebpCode', ebp.code),
        el('ebpName', ebp.name),
        el('ebcCode', ebc.code),
        el('ebcName', ebc.name),
        el('goodsValue', a.goods),
        el('freight', a.freight),
        el('currency', currency),
      ]),
      ...o.items.map((item, i) => {
        const p = product(c, item, i);
        return el('OrderList', [
          el('gnum', String(i + 1)),
          el('itemNo', item.sku.slice(0, 30)),
          el('itemName', p.name),
          el('itemDescribe', item.description),
          el('barCode', p.barcode),
          el('unit', customsUnit('piece', `items[${i}].unit`)),
          el('currency', currency),
          el('qty', String(item.quantity)),
          el('price', plain(item.unitPrice)),
          el('totalPrice', exact(multiplyUnits(item.unitPrice, item.quantity))),
        ]);
      }),
    ]),
    transfer(c.profile),
  ]);
}

function ceb505(c: CebCase): string {
  const o = c.order;
  const currency = customsCurrency(o.currency, 'currency');
  const a = orderAmounts(o);
  const lg = party(c.profile, 'logistics');
  const ebc = party(c.profile, 'enterprise');
  return cebDocument('CEB505Message', c.guid, [
    el('Logistics', [
      ...head(c),
      el('logisticsCode', lg.code),
      el('logisticsName', lg.name),
      el('logisticsNo', logisticsNo(c)),
      el('freight', a.freight),
      el('insuredFee', a.insurance),
      el('currency', currency),
      el('grossWeight', kg(grossGrams(c))),
      el('packNo', '1'),
      el(
        'goodsInfo',
        o.items
          .map((i) => i.description.replace(/\s+/g, ' ').trim())
          .join('; ')
          .slice(0, 200)
          .trim(),
      ),
      el('ebcCode', ebc.code),
      el('ebcName', ebc.name),
    ]),
    transfer(c.profile),
  ]);
}

function ceb603(c: CebCase): string {
  const o = c.order;
  const currency = customsCurrency(o.currency, 'currency');
  const a = orderAmounts(o);
  const ebp = party(c.profile, 'platform');
  const ebc = party(c.profile, 'enterprise');
  const lg = party(c.profile, 'logistics');
  const agent = party(c.profile, 'declarant');
  const owner = c.profile.owner ?? ebc;
  return cebDocument('CEB603Message', c.guid, [
    el('Inventory', [
      el('InventoryHead', [
        ...head(c),
        el('customsCode', profileValue(c.profile, 'customsOffice')),
        el('ebpCode', ebp.code),
        el('ebpName', ebp.name),
        el('orderNo', o.externalId),
        el('logisticsCode', lg.code),
        el('logisticsName', lg.name),
        el('logisticsNo', logisticsNo(c)),
        el('copNo', copNo(c)),
        el('ieFlag', 'E'),
        el('portCode', profileValue(c.profile, 'port')),
        el('ieDate', cebDate(c.at)),
        el('statisticsFlag', 'A'),
        el('agentCode', agent.code),
        el('agentName', agent.name),
        el('ebcCode', ebc.code),
        el('ebcName', ebc.name),
        el('ownerCode', owner.code),
        el('ownerName', owner.name),
        el('tradeMode', profileValue(c.profile, 'tradeMode')),
        el('trafMode', profileValue(c.profile, 'transportMode')),
        el('country', customsCountry(o.recipient.country, 'recipient.country')),
        el('POD', profileValue(c.profile, 'destinationPort')),
        el('freight', a.freight),
        el('fCurrency', currency),
        el('fFlag', '3'),
        el('insuredFee', a.insurance),
        el('iCurrency', currency),
        el('iFlag', '3'),
        el('wrapType', profileValue(c.profile, 'packaging')),
        el('packNo', '1'),
        el('grossWeight', kg(grossGrams(c))),
        el('netWeight', kg(netGrams(c))),
      ]),
      ...o.items.map((item, i) => {
        const p = product(c, item, i);
        return el('InventoryList', [
          el('gnum', String(i + 1)),
          el('itemNo', item.sku.slice(0, 20)),
          el('itemName', p.name),
          el('gcode', p.hsCode),
          el('gname', p.name),
          el('gmodel', p.model),
          el('barCode', p.barcode ?? '无'),
          el('country', customsCountry(o.recipient.country, 'recipient.country')),
          el('currency', currency),
          el('qty', String(item.quantity)),
          el('qty1', kg(item.weightGrams * item.quantity)),
          el('unit', customsUnit('piece', `items[${i}].unit`)),
          el('unit1', customsUnit('kilogram', `items[${i}].legalUnit`)),
          el('price', plain(item.unitPrice)),
          el('totalPrice', exact(multiplyUnits(item.unitPrice, item.quantity))),
        ]);
      }),
    ]),
    transfer(c.profile),
  ]);
}

function ceb605(c: CebCase): string {
  const ebc = party(c.profile, 'enterprise');
  const agent = party(c.profile, 'declarant');
  return cebDocument('CEB605Message', c.guid, [
    el('InvtCancel', [
      ...head(c),
      el('customsCode', profileValue(c.profile, 'customsOffice')),
      el('copNo', copNo(c)),
      el('invtNo', need(c.customsNo, 'customsNo', 'customs has not numbered the inventory list yet')),
      el('reason', need(c.reason, 'reason')),
      el('agentCode', agent.code),
      el('agentName', agent.name),
      el('ebcCode', ebc.code),
      el('ebcName', ebc.name),
    ]),
    transfer(c.profile),
  ]);
}

function ceb607(c: CebCase): string {
  const lg = party(c.profile, 'logistics');
  const agent = party(c.profile, 'declarant');
  return cebDocument('CEB607Message', c.guid, [
    el('WayBill', [
      el('WayBillHead', [
        ...head(c),
        el('customsCode', profileValue(c.profile, 'customsOffice')),
        el('copNo', copNo(c)),
        el('agentCode', agent.code),
        el('agentName', agent.name),
        el('trafMode', profileValue(c.profile, 'transportMode')),
        el(
          'trafName',
          need(c.transport?.name, 'transport.name', 'the conveyance (flight, vessel) is not known yet'),
        ),
        el(
          'voyageNo',
          need(c.transport?.voyageNo, 'transport.voyageNo', 'the voyage number is not known yet'),
        ),
        el('billNo', logisticsNo(c)),
        el('grossWeight', kg(grossGrams(c))),
        el('logisticsCode', lg.code),
        el('logisticsName', lg.name),
        el('msgCount', '1'),
        el('msgSeqNo', '1'),
      ]),
      el('WayBillList', [el('gnum', '1'), el('logisticsNo', logisticsNo(c))]),
    ]),
    transfer(c.profile),
  ]);
}

function ceb701(c: CebCase): string {
  const ebc = party(c.profile, 'enterprise');
  const agent = party(c.profile, 'declarant');
  return cebDocument('CEB701Message', c.guid, [
    el('SummaryApply', [
      el('SummaryApplyHead', [
        ...head(c),
        el('customsCode', profileValue(c.profile, 'customsOffice')),
        el('copNo', copNo(c)),
        el('agentCode', agent.code),
        el('agentName', agent.name),
        el('ebcCode', ebc.code),
        el('ebcName', ebc.name),
        el('declAgentCode', agent.code),
        el('declAgentName', agent.name),
        el('summaryFlag', '1'),
        el('itemNameFlag', '1'),
        el('msgCount', '1'),
        el('msgSeqNo', '1'),
      ]),
      el('SummaryApplyList', [
        el('invtNo', need(c.customsNo, 'customsNo', 'customs has not numbered the inventory list yet')),
      ]),
    ]),
    transfer(c.profile),
  ]);
}

const BUILDERS: Record<CebMessageType, (c: CebCase) => string> = {
  CEB311: ceb311,
  CEB411: ceb411,
  CEB511: ceb511,
  CEB621: ceb621,
  CEB623: ceb623,
  CEB625: ceb625,
  CEB303: ceb303,
  CEB505: ceb505,
  CEB603: ceb603,
  CEB605: ceb605,
  CEB607: ceb607,
  CEB701: ceb701,
};

/** The unsigned message of type `type` for this case; throws CustomsFieldMissing naming a gap. */
export function buildMessage(type: CebMessageType, c: CebCase): string {
  if (!/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/.test(c.guid))
    throw new CustomsFieldMissing('guid', 'must be a 36-character upper-case UUID');
  return BUILDERS[type](c);
}
