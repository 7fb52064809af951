/**
 * The sandbox customs' business checks on a schema-valid declaration, and the codes it refuses
 * with. Real customs answers a refusal with returnStatus 100 (海关退单) and the reason in
 * returnInfo as `[Code:…;Desc:…]`; the codes below are the sandbox's own (documented in
 * docs/customs.md), in that style. Personal data is never echoed whole: an id number is masked.
 *
 * What it checks, as customs does:
 * - the buyer's identity on the inventory list (where customs checks the 订购人 against the
 *   national identity register): an id number the tester marked to fail is refused, as that check
 *   refuses one whose name does not match;
 * - the order's arithmetic: the lines add up to goodsValue; the amount actually paid is
 *   goods + freight + tax − discount;
 * - across documents, when the related one was received: the payment's amount against the
 *   order's amount paid, the inventory list's goods against the order's.
 */
import type { Declaration } from './customs-read.js';

export interface Refusal {
  code: string;
  reason: string;
}

export const REFUSALS = {
  identity: 'C1301',
  lineTotals: 'C1302',
  paidArithmetic: 'C1303',
  paymentAmount: 'C2601',
  inventoryGoods: 'C2602',
} as const;

/** Fixed-point decimal in 1/100,000 (the XSD allows five fraction digits). */
function units(s: string | undefined): bigint | null {
  const m = /^(-)?(\d+)(?:\.(\d{1,5}))?$/.exec((s ?? '').trim());
  if (!m) return null;
  const v = BigInt(m[2]!) * 100_000n + BigInt((m[3] ?? '').padEnd(5, '0') || '0');
  return m[1] ? -v : v;
}
const show = (u: bigint) => {
  const neg = u < 0n;
  const a = neg ? -u : u;
  const frac = String(a % 100_000n)
    .padStart(5, '0')
    .replace(/0+$/, '');
  return `${neg ? '-' : ''}${a / 100_000n}${frac ? `.${frac}` : ''}`;
};
const abs = (u: bigint) => (u < 0n ? -u : u);

export function maskId(id: string): string {
  return id.length <= 8
    ? '*'.repeat(id.length)
    : `${id.slice(0, 4)}${'*'.repeat(id.length - 8)}${id.slice(-4)}`;
}

export interface RuleContext {
  /** Id numbers the identity check refuses (the fault knob). */
  failIdNumbers: ReadonlySet<string>;
  /** Largest difference customs lets pass between two amounts (decimal string). */
  tolerance: string;
  /** The order received earlier under the same order number and direction, if any. */
  order?: Declaration | undefined;
}

function sum(lines: ReadonlyArray<Record<string, string>>, field: string): bigint | null {
  let total = 0n;
  for (const l of lines) {
    const v = units(l[field]);
    if (v === null) return null;
    total += v;
  }
  return total;
}

/** The first business check the declaration fails, or null when customs takes it. */
export function refusalOf(d: Declaration, ctx: RuleContext): Refusal | null {
  const tol = units(ctx.tolerance) ?? 0n;
  const h = d.head;
  const id = d.type === 'CEB621' ? h.buyerIdNumber : undefined;
  if (id && ctx.failIdNumbers.has(id))
    return {
      code: REFUSALS.identity,
      reason: `订购人身份信息校验未通过：证件号码 ${maskId(id)} 与姓名不一致`,
    };
  if (d.type === 'CEB311' || d.type === 'CEB303') {
    const lines = sum(d.lines, 'totalPrice');
    const goods = units(h.goodsValue);
    if (lines !== null && goods !== null && abs(lines - goods) > tol)
      return {
        code: REFUSALS.lineTotals,
        reason: `商品价格 goodsValue ${show(goods)} 与表体总价合计 ${show(lines)} 不符`,
      };
  }
  if (d.type === 'CEB311') {
    const [goods, freight, tax, discount, paid] = [
      h.goodsValue,
      h.freight,
      h.taxTotal,
      h.discount,
      h.acturalPaid,
    ].map(units);
    if (goods != null && freight != null && tax != null && discount != null && paid != null) {
      const expected = goods + freight + tax - discount;
      if (abs(expected - paid) > tol)
        return {
          code: REFUSALS.paidArithmetic,
          reason: `实际支付金额 acturalPaid ${show(paid)} 与 商品价格+运杂费+代扣税款-非现金抵扣金额 ${show(expected)} 不符`,
        };
    }
  }
  if (d.type === 'CEB411' && ctx.order) {
    const paid = units(ctx.order.head.acturalPaid);
    const amount = units(h.amountPaid);
    if (paid !== null && amount !== null && abs(paid - amount) > tol)
      return {
        code: REFUSALS.paymentAmount,
        reason: `支付金额 amountPaid ${show(amount)} 与订单 ${h.orderNo} 实际支付金额 ${show(paid)} 不一致`,
      };
  }
  if ((d.type === 'CEB621' || d.type === 'CEB603') && ctx.order) {
    const listed = sum(d.lines, 'totalPrice');
    const ordered = sum(ctx.order.lines, 'totalPrice');
    if (listed !== null && ordered !== null && abs(listed - ordered) > tol)
      return {
        code: REFUSALS.inventoryGoods,
        reason: `清单商品总价 ${show(listed)} 与订单 ${h.orderNo} 商品总价 ${show(ordered)} 不一致`,
      };
  }
  return null;
}
