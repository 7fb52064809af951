/**
 * The demo's returns act [001-6.3.3] [002-5.4]: buyers of two delivered shop orders ask the
 * sandbox shop for a refund; the shop's return requests reach the hub, which tells the sandbox
 * warehouse to expect them, buys the return labels, follows the parcels' tracking, takes the
 * warehouse's receipt with its inspection (one unit of the second return graded damaged),
 * settles the refund and tells the shop each step. Every figure is read back from the hub's
 * store and the shop's own record of what it was told — `completed` counts a return only when
 * the hub finished it, the shop heard so and the order's history shows it.
 */
import type { Hub } from '../hub/hub.js';
import type { SandboxHandle } from '../sandbox/server.js';
import { historyForOrder } from '../store/orders.js';
import { deliveredWithoutReturn, returnById, returnsOfOrder } from '../store/returns.js';
import { linesOf } from '../pipeline/returns.js';
import { sum } from '../domain/money.js';

export interface DemoReturns {
  /** Return requests the buyers made in the shop. */
  requested: number;
  /** Returns the hub completed, the shop was told so and the order's history shows. */
  completed: number;
  /** What the refunds paid back, per currency (`"19.80 USD"`). */
  refunded: string;
  /** Units back on the warehouse's shelf (resellable) and units in the damaged bucket. */
  restocked: number;
  damaged: number;
}

/** How many returns the act asks for (the first delivered shop orders). */
const RETURNS = 2;

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function returnsDemo(
  hub: Hub,
  sandbox: Pick<SandboxHandle, 'shop' | 'warehouse'>,
  /** The shop orders of this run (a reused database holds older ones the sandbox never saw). */
  externalIds: readonly string[],
  timeoutMs = 120_000,
): Promise<DemoReturns> {
  const db = hub.store.db;
  const orders = await deliveredWithoutReturn(db, 'sandbox-shop', externalIds.slice(0, 500), RETURNS);
  const asked = orders.map((o, i) => {
    const items = JSON.parse(o.items) as Array<{ sku: string; quantity: number }>;
    // The first return takes back a whole line; the second one unit of a line, which arrives damaged.
    const line = items[0]!;
    const quantity = i === 0 ? line.quantity : 1;
    sandbox.shop.returns.request(o.external_id, [{ sku: line.sku, quantity }], 'refund', 'does not fit');
    return { orderId: o.id, sku: line.sku, quantity, grade: i === 0 ? 'RESELLABLE' : 'DAMAGED' } as const;
  });
  const rmas: string[] = [];
  for (const a of asked) {
    let rma = '';
    await until(
      async () => {
        const ret = (await returnsOfOrder(db, a.orderId))[0];
        rma = ret?.id ?? '';
        return ret?.status === 'received_by_carrier';
      },
      timeoutMs,
      `the return parcel of order ${a.orderId} to reach the warehouse's dock`,
    );
    // The warehouse opens the parcel and grades what is in it.
    sandbox.warehouse.receiveReturn(rma, a.sku, a.quantity, a.grade);
    rmas.push(rma);
  }
  const told = () => sandbox.shop.returns.states();
  await until(
    async () =>
      (await Promise.all(rmas.map((id) => returnById(db, id)))).every((r) => r?.status === 'completed') &&
      rmas.every((id) => told()[id]?.status === 'completed'),
    timeoutMs,
    'the refunds, and the shop to hear of them',
  );
  let completed = 0;
  let restocked = 0;
  let damaged = 0;
  const refunds = new Map<string, string>();
  for (const id of rmas) {
    const ret = (await returnById(db, id))!;
    const history = await historyForOrder(db, ret.order_id);
    if (
      ret.status === 'completed' &&
      told()[id]?.status === 'completed' &&
      history.some((h) => h.note.startsWith(`return ${id} completed:`))
    )
      completed++;
    for (const l of linesOf(ret)) {
      restocked += l.resellable;
      damaged += l.damaged;
    }
    if (ret.refund_amount !== null)
      refunds.set(ret.currency, sum([refunds.get(ret.currency) ?? '0', ret.refund_amount]));
  }
  return {
    requested: asked.length,
    completed,
    refunded: [...refunds].map(([currency, amount]) => `${amount} ${currency}`).join(', ') || '0',
    restocked,
    damaged,
  };
}
